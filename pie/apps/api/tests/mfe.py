"""
A stand-in for the program dashboard micro-frontend, served from its own origin.

``serve_mfe_page`` answers ``GET /`` on ``http://localhost:1996`` (the origin local and
test settings allow) with a page that calls PIE the way ``@edx/frontend-platform``'s
authenticated HTTP client does: ``credentials: "include"``, ``USE-JWT-COOKIE: true``,
and the token of ``GET /csrf/api/v1/token`` in ``X-CSRFToken`` for a write. Its answer
also sets the two halves of the edX JWT cookie as the LMS sets them at login for the
shared domain (here ``localhost``): ``header.payload`` readable by scripts, the
signature ``HttpOnly``. Cookies ignore ports, so the browser sends them to PIE's live
server on ``localhost`` as it would to ``pie.example.com`` from ``apps.example.com``.
The page leaves what it saw in ``window.pieSeen``.
"""

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from django.conf import settings

MFE_ORIGIN = "http://localhost:1996"

_SCRIPT = """
const call = async (path, {method = "GET", headers = {}, body, credentials = "include"} = {}) => {
  try {
    const response = await fetch(PIE + path, {method, credentials, headers, body: body && JSON.stringify(body)});
    return {status: response.status, body: await response.json()};
  } catch (error) {
    return {error: String(error)};
  }
};
const LIST = "/api/v1/program_intents/most_recent_and_certain/";
const CREATE = "/api/v1/program_intents/";
const jwtCookie = {"USE-JWT-COOKIE": "true"};
const json = {"Content-Type": "application/json"};
(async () => {
  const seen = {scriptSees: document.cookie};
  seen.list = await call(LIST, {headers: jwtCookie});
  seen.csrf = await call("/csrf/api/v1/token", {headers: jwtCookie});
  seen.postWithoutCsrfToken = await call(CREATE, {method: "POST", headers: {...jwtCookie, ...json}, body: INTENT});
  const csrfToken = {"X-CSRFToken": (seen.csrf.body || {}).csrfToken};
  seen.post = await call(CREATE, {method: "POST", headers: {...jwtCookie, ...json, ...csrfToken}, body: INTENT});
  seen.listAfterPost = await call(LIST, {headers: jwtCookie});
  seen.headerPost = await call(CREATE, {
    method: "POST", credentials: "omit", headers: {...json, Authorization: "JWT " + HEADER_TOKEN}, body: INTENT,
  });
  window.pieSeen = seen;
})();
"""


def mfe_page(*, pie_url: str, intent: dict, header_token: str) -> str:
    """The page: ``pie_url`` is PIE's base URL; it POSTs ``intent``, once with the header token."""
    constants = (
        f"const PIE = {json.dumps(pie_url)};\n"
        f"const INTENT = {json.dumps(intent)};\n"
        f"const HEADER_TOKEN = {json.dumps(header_token)};\n"
    )
    head = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Programs</title></head>\n'
    return f"{head}<body><script>\n{constants}{_SCRIPT}</script></body></html>\n"


def lms_login_cookies(token: str) -> list[str]:
    """The ``Set-Cookie`` values the LMS sends at login for a JWT, on the shared domain ``localhost``."""
    header_payload, signature = token.rsplit(".", 1)
    names = settings.JWT_AUTH
    common = "Domain=localhost; Path=/; SameSite=Lax"
    return [
        f"{names['JWT_AUTH_COOKIE_HEADER_PAYLOAD']}={header_payload}; {common}",
        f"{names['JWT_AUTH_COOKIE_SIGNATURE']}={signature}; {common}; HttpOnly",
    ]


@contextlib.contextmanager
def serve_mfe_page(*, page: str, cookies: list[str]) -> Iterator[str]:
    """Serve ``page`` at ``MFE_ORIGIN`` with ``cookies`` set, in a thread; yield the page's URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            content = page.encode() if self.path == "/" else b""
            self.send_response(200 if content else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(content)))
            for cookie in cookies if content else ():
                self.send_header("Set-Cookie", cookie)
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format, *args):
            pass

    origin = urlsplit(MFE_ORIGIN)
    server = ThreadingHTTPServer((origin.hostname, origin.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{MFE_ORIGIN}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
