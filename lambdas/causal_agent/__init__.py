"""The agent: execution state, sessions, conversation, planner and the steps of the state machine.

Nothing here imports pandas, duckdb, DoWhy or (at import time) openai, so the
package stays small enough to vendor into every Lambda zip.
"""
