"""A real HTTP receiver on 127.0.0.1 for the webhooks' tests, and a clean copy of the
endpoints around each test."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhooks.models import WebhookEndpoint
from webhooks.selectors import ENDPOINTS


@pytest.fixture(autouse=True)
def _endpoints_forgotten():
    """Each process keeps a copy of the active endpoints: a rolled-back test's endpoint must
    not outlive it, here or in the tests that follow."""
    ENDPOINTS.forget()
    yield
    ENDPOINTS.forget()


@dataclass
class Received:
    path: str
    headers: Message  # HTTP header names are case-insensitive
    body: bytes
    answered: int

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What a receiving system saw. ``status`` is what it answers next (200: accepted);
    ``accepted`` counts the deliveries it accepted by X-SPT-Delivery, as a receiver that
    de-duplicates would."""

    url: str = ""
    status: int = 200
    location: str = ""
    received: list[Received] = field(default_factory=list)
    accepted: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                status = state.status
                state.received.append(Received(self.path, self.headers, body, status))
                if 200 <= status < 300:
                    state.accepted[self.headers.get("X-SPT-Delivery")] += 1
            self.send_response(status)
            if state.location:
                self.send_header("Location", state.location)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def do_GET(self):  # noqa: N802 - a followed redirect would land here
            with state.lock:
                state.received.append(Received(self.path, self.headers, b"", 200))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/spt"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def endpoint_for():
    def make(url: str, kinds: list[str] | None = None, **kwargs) -> WebhookEndpoint:
        return WebhookEndpoint.objects.create(
            name="ERP de l'éditeur", url=url, event_kinds=kinds or ["*"], **kwargs)

    return make
