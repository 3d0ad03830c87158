"""
Helpers of the event-bus process tests: the real consumer as a child process, a TCP proxy
that can make the database unreachable, and polling for what a child did.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def wait_until[T](probe: Callable[[], T], *, timeout: float = 30.0, what: str, log: Callable[[], str] = str) -> T:
    """Call ``probe`` until it returns something true, and return that; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"Gave up after {timeout} s waiting for {what}. Consumer log:\n{log()}")
        time.sleep(0.05)


class ConsumerProcess:
    """A consumer command (by default ``consume_certificate_events``; openedx-events' consume_events), as a child."""

    def __init__(
        self,
        *,
        database_url: str,
        topic_prefix: str,
        redis_url: str,
        name: str,
        command: tuple[str, ...] = ("consume_certificate_events",),
        **env: str,
    ):
        child_env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="pie.settings.local",  # DEBUG on: a receiver's exception would escape
            DATABASE_URL=database_url,
            EVENT_BUS_REDIS_CONNECTION_URL=redis_url,
            EVENT_BUS_TOPIC_PREFIX=topic_prefix,
            PIE_EVENT_BUS_CONSUMER_NAME=name,
            PIE_EVENT_WRITE_ATTEMPTS="3",
            PIE_EVENT_RETRY_INITIAL_DELAY_SECONDS="0.05",
            PIE_EVENT_RETRY_MAX_DELAY_SECONDS="0.2",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
            **env,
        )
        child_env.pop("PYTHONPATH", None)
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=child_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def log(self) -> str:
        return "".join(self.lines)

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_for_log(self, text: str, *, count: int = 1, timeout: float = 30.0) -> None:
        def seen() -> bool:
            if not self.running() and self.count(text) < count:
                pytest.fail(f"The consumer ended ({self.process.returncode}) before logging {text!r}:\n{self.log()}")
            return self.count(text) >= count

        wait_until(seen, timeout=timeout, what=f"{count} x {text!r} in the consumer's log", log=self.log)

    def wait_until_consuming(self) -> None:
        # Logged once the consumer group exists: what is produced from then on is read.
        self.wait_for_log("Running consumer for")

    def stop(self) -> None:
        if self.running():
            self.process.terminate()
        self.process.wait(timeout=30)


class TcpProxy:
    """
    Forwards a port of 127.0.0.1 to ``target``. ``stop()`` closes the port and cuts every
    open connection, so the target is unreachable through it; ``start()`` opens the same
    port again. ``hang()`` keeps every connection open and accepts new ones, but forwards
    nothing more either way (a database that accepts TCP and never answers), until
    ``resume()``.
    """

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._hanging = False

    def hang(self) -> None:
        self._hanging = True

    def resume(self) -> None:
        self._hanging = False

    def start(self) -> "TcpProxy":
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener:
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):  # the other side, or stop(), closed the connection
            while data := source.recv(65536):
                if not self._hanging:  # hanging: what is sent is dropped, never answered
                    sink.sendall(data)
        _shut(source)
        _shut(sink)


def _shut(sock: socket.socket) -> None:
    with suppress(OSError):  # already shut
        sock.shutdown(socket.SHUT_RDWR)
