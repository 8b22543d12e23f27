"""uvicorn's sans-I/O ``websockets`` protocol with API Gateway's frame limit.

uvicorn enforces a message size (``ws_max_size``) but hands the app whole
messages, so the 32 KB per-frame limit is checked here, where frames are
seen. It also reports a dropped TCP connection (no close frame) as 1006.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import CloseCode, Frame


class GatewayWebSocketProtocol(WebSocketsSansIOProtocol):
    frame_limit = 32 * 1024

    def _frame_too_big(self, event: Frame) -> bool:
        if len(event.data) <= self.frame_limit or self.close_sent:
            return False
        self.frames = []
        self.conn.fail(CloseCode.MESSAGE_TOO_BIG, f"Frame exceeds {self.frame_limit} bytes")
        self.handle_parser_exception()
        return True

    def handle_text(self, event: Frame) -> None:
        if not self._frame_too_big(event):
            super().handle_text(event)

    def handle_bytes(self, event: Frame) -> None:
        if not self._frame_too_big(event):
            super().handle_bytes(event)

    def handle_cont(self, event: Frame) -> None:
        if not self._frame_too_big(event):
            super().handle_cont(event)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.handshake_complete and not self.close_sent and not self.disconnected and self.conn.close_rcvd is None:
            self.queue.put_nowait({"type": "websocket.disconnect", "code": 1006, "reason": "Connection lost"})
        super().connection_lost(exc)


def protocol_class(frame_limit: int) -> type[GatewayWebSocketProtocol]:
    """The protocol class to pass as uvicorn's ``ws`` for this frame limit."""
    return type("GatewayWebSocketProtocol", (GatewayWebSocketProtocol,), {"frame_limit": frame_limit})
