"""The desk's HTTP protocol: uvicorn's h11 protocol with the bounds uvicorn has no setting for.

uvicorn's `timeout_keep_alive` covers only the wait between two requests, and any byte received cancels it; no
timer runs while a request's headers or body arrive (uvicorn issue #157, still open). So one connection sending a
header byte every few seconds (slowloris) is held forever, and enough of them use up the server. Here:

- a request's headers must be complete `headers_seconds` after the connection opened or the previous answer ended,
  else it gets a 408 page and the connection is closed;
- its body may pause at most `body_pause_seconds` at a time and must be complete within `body_seconds`, else the
  connection is closed (the upload is not stored: the page sees a disconnect). A pause the desk causes (it has not
  read what came yet) is not counted;
- with `max_connections` connections open, a new request is answered 503 with a Chinese page (uvicorn's own
  `limit_concurrency` answers in English) and its connection closed.

Every bound counts from the clock, not from the bytes, so no pace of sending keeps a connection longer.
"""
from __future__ import annotations

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class DeskProtocol(H11Protocol):
    headers_seconds = 10.0
    body_pause_seconds = 30.0
    body_seconds = 600.0  # 50 MB in 10 minutes: 85 kB/s, slower than any intranet
    max_connections = 500

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_concurrency = None  # uvicorn's check (English 503) replaced by ours in handle_events
        self._timer = None
        self._body_started: float | None = None

    # ------------------------------------------------------------------------------------------ the clock
    def _arm(self, seconds: float):
        self._disarm()
        self._timer = self.loop.call_later(max(seconds, 0.0), self._too_slow)

    def _disarm(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _follow(self):
        """The bound that applies now, by where the client is in its request."""
        state = self.conn.their_state
        if state is h11.IDLE:
            return  # headers still coming: the deadline set when the wait began stands
        if state is h11.SEND_BODY:
            now = self.loop.time()
            if self._body_started is None:
                self._body_started = now
            self._arm(min(self.body_pause_seconds, self._body_started + self.body_seconds - now))
        else:
            self._disarm()  # the request is all in (the desk may take its time to answer), or the connection ends

    def _too_slow(self):
        self._timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle if self.cycle is not None and not self.cycle.response_complete else None
        if self.flow.read_paused or (cycle is not None and cycle.waiting_for_100_continue):
            self._arm(self.body_pause_seconds)  # the desk has not read what came yet: the wait is ours
            return
        if self.conn.their_state is h11.IDLE and cycle is None:
            from .web import static_page

            self.transport.write(static_page(408))
        self.transport.close()

    # ------------------------------------------------------------------------------------------ uvicorn's hooks
    def connection_made(self, transport):
        super().connection_made(transport)
        self._arm(self.headers_seconds)

    def data_received(self, data: bytes):
        super().data_received(data)
        self._follow()

    def handle_events(self):
        # uvicorn picks the app for a request in here, as we do: a crowded desk answers with its Chinese 503 page
        from .web import busy

        crowded = len(self.connections) >= self.max_connections or len(self.tasks) >= self.max_connections
        self.app = busy if crowded else self.config.loaded_app
        super().handle_events()

    def on_response_complete(self):
        self._body_started = None
        self._arm(self.headers_seconds)  # the next request's headers (uvicorn's keep-alive timer runs too)
        super().on_response_complete()
        self._follow()

    def connection_lost(self, exc):
        self._disarm()
        super().connection_lost(exc)
