"""
A stand-in course-discovery and LMS token endpoint, served over real HTTP from a thread.

``POST /oauth2/access_token`` gives a JWT for the client credentials (as the LMS does for a
backend service); ``GET /api/v1/programs/`` lists ``programs`` in pages of ``page_size``,
as discovery does, to a request that carries that JWT. A test makes a page fail
(``page_faults``: answers to give, in turn, before the page's real one: a status, a body, or
an ``answer(...)`` with headers, no ``Content-Length``, or dripped a byte at a time), never
answer (``hang_page``), makes the LMS answer something else (``token_answer``), or changes
the token discovery accepts (``rotate_token``). A dripping answer stops at ``stop()``.
"""

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

CLIENT_ID = "pie-backend-service-key"
CLIENT_SECRET = "pie-backend-service-secret"
# How long a dripping answer goes on at most (a copy without deadlines would outwait it).
DRIP_SECONDS = 20


def program(uuid, title="A program", status="active", courses=None) -> dict:
    """A program as discovery's listing gives it: ``courses`` maps course keys to run keys."""
    return {
        "uuid": str(uuid),
        "title": title,
        "status": status,
        "type": "Professional Certificate",
        "courses": [
            {"key": key, "title": key, "course_runs": [{"key": run, "status": "published"} for run in runs]}
            for key, runs in (courses or {}).items()
        ],
    }


def answer(status: int = 200, body: bytes = b"", *, headers: dict | None = None, length=True, drip=None) -> dict:
    """
    An answer to give: ``length=False`` sends no ``Content-Length`` (the body ends with the
    connection); ``drip`` is ``"headers"`` or ``"body"``, sent a byte at a time, 20 a second.
    """
    return {"status": status, "body": body, "headers": headers or {}, "length": length, "drip": drip}


class StandInDiscovery:
    def __init__(self, programs: list[dict] | None = None):
        self.programs = programs or []
        self.page_faults: dict[int, list] = {}
        self.hang_page: int | None = None
        self.token_status = 200
        self.token_answer: dict | None = None
        self.requests: list[dict] = []
        self.token_requests = 0
        self._token = secrets.token_urlsafe(16)
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def page_url(self, page: int, size: int = 2) -> str:
        return f"{self.url}/api/v1/programs/?exclude_utm=1&page={page}&page_size={size}"

    def settings(self) -> dict:
        """The settings that point PIE at this stand-in."""
        return {
            "COURSE_CATALOG_API_URL": f"{self.url}/api/v1/",
            "BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL": f"{self.url}/oauth2",
            "BACKEND_SERVICE_EDX_OAUTH2_KEY": CLIENT_ID,
            "BACKEND_SERVICE_EDX_OAUTH2_SECRET": CLIENT_SECRET,
        }

    def rotate_token(self) -> None:
        """The LMS issues a new token from now on, and discovery refuses the old one (as after a key rotation)."""
        self._token = secrets.token_urlsafe(16)

    def start(self) -> "StandInDiscovery":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def access_token(self, form: dict) -> dict:
        self.token_requests += 1
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET or self.token_status != 200:
            return answer(self.token_status if self.token_status != 200 else 401, b'{"error": "invalid_client"}')
        if self.token_answer is not None:
            return self.token_answer
        return answer(200, json.dumps({"access_token": self._token, "expires_in": 3600, "token_type": "JWT"}).encode())

    def programs_page(self, query: dict, authorization: str | None) -> dict:
        self.requests.append({"query": query, "authorization": authorization})
        if authorization != f"JWT {self._token}":
            return answer(401, b'{"detail": "Authentication credentials were not provided."}')
        page, size = int(query.get("page", "1")), int(query.get("page_size", "20"))
        if page == self.hang_page:
            self._released.wait(timeout=120)
            return answer(504)
        faults = self.page_faults.get(page)
        if faults:
            fault = faults.pop(0)
            if isinstance(fault, dict):
                return fault
            return answer(fault, b'{"detail": "Server Error"}') if isinstance(fault, int) else answer(200, fault)
        results = self.programs[(page - 1) * size : page * size]
        more = page * size < len(self.programs)
        next_url = self.page_url(page + 1, size) if more else None
        body = {"count": len(self.programs), "next": next_url, "previous": None, "results": results}
        return answer(200, json.dumps(body).encode())

    def drip(self, write, data: bytes) -> None:
        """Write ``data`` a byte at a time, each well within any read timeout, until done or stopped."""
        for byte in data:
            if self._released.wait(timeout=0.05):
                return
            write(bytes([byte]))


def _handler_for(discovery: StandInDiscovery):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
            if self.path == "/oauth2/access_token":
                return self._answer(discovery.access_token(form))
            self._answer(answer(404))

        def do_GET(self):
            url = urlparse(self.path)
            if url.path != "/api/v1/programs/":
                return self._answer(answer(404))
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            self._answer(discovery.programs_page(query, self.headers.get("Authorization")))

        def _answer(self, given: dict) -> None:
            body = given["body"] + (b" " * (DRIP_SECONDS * 20) if given["drip"] == "body" else b"")
            headers = {"Content-Type": "application/json", **given["headers"]}
            if given["length"]:
                headers["Content-Length"] = str(len(body))
            if given["drip"] == "headers":
                headers["X-Padding"] = "x" * (DRIP_SECONDS * 20)
            head = f"HTTP/1.0 {given['status']} Answer\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            head = head.encode() + b"\r\n"
            try:
                if given["drip"] == "headers":
                    discovery.drip(self.wfile.write, head)
                else:
                    self.wfile.write(head)
                if given["drip"] == "body":
                    discovery.drip(self.wfile.write, body)
                else:
                    self.wfile.write(body)
            except OSError:
                pass  # the client gave up (a timeout): nobody to answer

        def log_message(self, format, *args):
            pass

    return Handler
