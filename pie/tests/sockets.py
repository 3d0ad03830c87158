"""
Real sockets for outage tests: a port nothing listens on, and a server that accepts TCP
connections and never answers (what a hung database or cache looks like from outside).
"""

import socket
import threading
from contextlib import suppress


def closed_port() -> int:
    """A port of 127.0.0.1 that nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SilentServer:
    """
    Listens on a port of 127.0.0.1, accepts every connection and never sends a byte (a
    thread holds the connections open). A context manager: leaving it closes everything.
    """

    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self._listener.getsockname()[1]
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "SilentServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._listener.close()
        for held in self._held:
            held.close()

    def _accept(self) -> None:
        with suppress(OSError):  # the listener closed
            while True:
                client, _ = self._listener.accept()
                self._held.append(client)
