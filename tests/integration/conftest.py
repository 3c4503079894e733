"""Real services for the live tests: a Redis server of the test's own, a real Celery worker
process, and an SMTP server (aiosmtpd) on 127.0.0.1, each on a free port and stopped by its
PID at teardown.

They run where a real broker is configured (``REDIS_URL``, CI's second pass) on PostgreSQL,
whose test database the worker process can reach; elsewhere they are skipped.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def _why_not_live() -> str | None:
    from django.conf import settings

    if not os.environ.get("REDIS_URL"):
        return "live services run with a real broker (REDIS_URL, CI's second pass)"
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        return "the worker process needs a database it can reach: PostgreSQL"
    return None


def pytest_collection_modifyitems(config, items):
    # Skipped at collection, so that a pass without live services does not even set up a
    # transactional database for them.
    reason = _why_not_live()
    if reason:
        for item in items:
            if "live_services" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def live_services(transactional_db):
    reason = _why_not_live()
    if reason:
        pytest.skip(reason)


# --- SMTP ------------------------------------------------------------------------------------

@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        # Django folds long encoded subjects onto a continuation line; the reader unfolds it.
        return str(self.message["Subject"]).strip()


@dataclass
class SmtpServer:
    port: int
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Seconds between storing a message and answering the end of DATA (a slow server).
    data_delay: float = 0.0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        parsed = email.message_from_bytes(envelope.original_content or envelope.content,
                                          policy=email.policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return "250 Message accepted for delivery"

    def with_message_id(self, message_id: str) -> list[Received]:
        with self.lock:
            return [item for item in self.received
                    if str(item.message["Message-ID"]).strip() == message_id]

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [item for item in self.received if address in item.rcpt_tos]

    def wait_for(self, address: str, timeout: float = 20) -> Received:
        return wait_until(lambda: (self.to(address) or [None])[0], timeout,
                          f"an e-mail to {address}")


@pytest.fixture
def smtp_server(live_services) -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    server = SmtpServer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


# --- Redis -----------------------------------------------------------------------------------

class RedisServer:
    """A redis-server of the test's own: stopping it touches nothing else."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, 10, "redis-server to answer")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


@contextmanager
def celery_publishing_to(url: str) -> Iterator[None]:
    """Point this process's Celery app at ``url`` (the test's own broker), then back."""
    from portal.celery import app

    def forget_pools() -> None:
        # kombu keeps pools in a registry by URL: the app finds the right one again.
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    app.conf.broker_url = url
    forget_pools()
    try:
        yield
    finally:
        app.pool.force_close_all()  # the test's broker only: it is about to go
        app.conf.broker_url = previous
        forget_pools()


@pytest.fixture
def broker(live_services, tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        with celery_publishing_to(server.url):
            yield server
    finally:
        server.stop()


# --- the worker ------------------------------------------------------------------------------

def database_url() -> str:
    """The test database (``test_<name>``) as the worker process must reach it."""
    db = connection.settings_dict
    credentials = db["USER"] or ""
    if db.get("PASSWORD"):
        credentials += f":{db['PASSWORD']}"
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


class Worker:
    def __init__(self, *, broker_url: str, smtp_port: int, directory: Path,
                 extra_env: dict[str, str] | None = None) -> None:
        self.log = directory / "worker.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.base",
            "DEMO_MODE": "1",
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker_url,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "SPT_VAR_DIR": str(directory / "var"),
            "PYTHONUNBUFFERED": "1",
            # Each e-mail at once, as the test process writes them (the grouping's own live
            # test sets a window for both).
            "NOTIFICATION_GROUP_SECONDS": "0",
            **(extra_env or {}),
        }
        self.env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo",
                 "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "--hostname", f"live-{os.getpid()}@%h"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        wait_until(self._ready, 60, f"the Celery worker to start (see {self.log})")

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"the worker exited:\n{self.output()}")
        return " ready." in self.output()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def worker(broker, smtp_server, tmp_path) -> Iterator[Worker]:
    process = Worker(broker_url=broker.url, smtp_port=smtp_server.port, directory=tmp_path)
    process.start()
    try:
        yield process
    finally:
        process.stop()
