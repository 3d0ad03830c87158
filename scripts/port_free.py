"""
Before ``make run``: exit 1 with one line when HOST:PORT is already taken, naming ``PORT``.

    python scripts/port_free.py 127.0.0.1:18781
"""

import socket
import sys


def main(address: str) -> int:
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as runserver binds
        try:
            sock.bind((host, int(port)))
        except OSError as error:
            print(
                f"make run: {host}:{port} is not free ({error.strerror}): stop what serves there, "
                f"or choose another port: make run PORT={int(port) + 1}",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
