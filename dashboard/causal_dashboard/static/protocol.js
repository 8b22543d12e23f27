// The chat protocol client: one WebSocket, transparent reconnects, frames applied exactly once in seq order.
//
// Server frames carry {type, sessionId, seq}. After a drop the client reconnects and sends
// {"action":"resume","sessionId","afterSeq":<last applied seq>}; replayed frames it has already applied are
// dropped, frames that arrive early wait until the gap before them is filled.

const GAP_RESUME_MS = 1500;
const MAX_BACKOFF_MS = 5000;

export class ChatClient {
  constructor({ url, onFrame, onStatus, onNotice, refreshUrl }) {
    this.url = url;               // () => ws URL with a token
    this.refreshUrl = refreshUrl; // async () => fetches a new token (after refused connects)
    this.onFrame = onFrame;
    this.onStatus = onStatus || (() => {});
    this.onNotice = onNotice || (() => {});
    this.sessionId = null;
    this.lastSeq = 0;
    this.early = new Map();       // seq → frame that arrived before its predecessors
    this.outbox = [];
    this.ws = null;
    this.closedByUser = false;
    this.failures = 0;
    this.applied = [];            // seqs applied, in order (inspected by tests)
    this.gapTimer = null;
  }

  connect() {
    this.closedByUser = false;
    this.onStatus(this.failures ? "reconnecting" : "connecting");
    let ws;
    try { ws = new WebSocket(this.url()); } catch (error) { this.scheduleReconnect(); return; }
    this.ws = ws;
    let opened = false;
    ws.addEventListener("open", () => {
      opened = true;
      this.failures = 0;
      this.onStatus("open");
      if (this.sessionId) this.rawSend({ action: "resume", sessionId: this.sessionId, afterSeq: this.lastSeq });
      const queued = this.outbox.splice(0);
      for (const message of queued) this.rawSend(message);
    });
    ws.addEventListener("message", (event) => this.receive(event.data));
    ws.addEventListener("close", async () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closedByUser) { this.onStatus("closed"); return; }
      this.failures += 1;
      // A refused handshake (expired token, restarted gateway) gets a fresh token once in a while.
      if (!opened && this.refreshUrl && this.failures % 2 === 0) {
        try { await this.refreshUrl(); } catch (error) { this.onNotice(`Could not renew the sign-in: ${error.message}`); }
      }
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    this.onStatus("reconnecting");
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.failures, 5));
    setTimeout(() => { if (!this.closedByUser && !this.ws) this.connect(); }, delay);
  }

  close() {
    this.closedByUser = true;
    if (this.ws) this.ws.close(1000, "bye");
    this.ws = null;
  }

  rawSend(message) { this.ws.send(JSON.stringify(message)); }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.rawSend(message);
    else this.outbox.push(message);
  }

  startSession() { this.sessionId = null; this.lastSeq = 0; this.early.clear(); }

  // Show an earlier conversation of this user again: every frame from the first.
  openSession(sessionId) {
    this.sessionId = sessionId; this.lastSeq = 0; this.early.clear(); this.awaitingSession = false;
    this.send({ action: "resume", sessionId, afterSeq: 0 });
  }

  query(text, datasetId) {
    const message = { action: "query", text, datasetId };
    if (this.sessionId) message.sessionId = this.sessionId;
    else this.awaitingSession = true;
    this.send(message);
  }

  reply(text) { this.send({ action: "reply", sessionId: this.sessionId, text }); }
  choose(optionId) { this.send({ action: "reply", sessionId: this.sessionId, optionId }); }
  cancel() { if (this.sessionId) this.send({ action: "cancel", sessionId: this.sessionId }); }

  receive(data) {
    let frame;
    try { frame = JSON.parse(data); } catch { this.onNotice(`Unreadable message from the server: ${String(data).slice(0, 120)}`); return; }
    if (!frame || typeof frame !== "object") return;
    if (!frame.type || frame.seq === undefined) {
      // Not a protocol frame: API Gateway's own errors ({"message": "Forbidden", …}) and replies.
      if (frame.message) this.onNotice(frame.message);
      return;
    }
    if (frame.type === "session" && (this.awaitingSession || !this.sessionId) && frame.sessionId !== this.sessionId) {
      this.sessionId = frame.sessionId;
      this.lastSeq = frame.seq - 1;
      this.early.clear();
      this.awaitingSession = false;
    }
    if (frame.sessionId !== this.sessionId) return; // an old conversation's late frames
    if (frame.seq <= this.lastSeq || this.early.has(frame.seq)) return; // already seen
    this.early.set(frame.seq, frame);
    this.drain();
  }

  drain() {
    while (this.early.has(this.lastSeq + 1)) {
      const frame = this.early.get(this.lastSeq + 1);
      this.early.delete(frame.seq);
      this.lastSeq = frame.seq;
      this.applied.push(frame.seq);
      this.onFrame(frame);
    }
    clearTimeout(this.gapTimer);
    if (this.early.size) {
      // Frames after a gap: ask for the missing ones if they do not turn up.
      this.gapTimer = setTimeout(() => {
        if (this.early.size && this.sessionId) this.send({ action: "resume", sessionId: this.sessionId, afterSeq: this.lastSeq });
      }, GAP_RESUME_MS);
    }
  }
}
