"""
A small stand-in for the LMS's OAuth2 provider, served over real HTTP from a thread.

It has the two endpoints of the authorization-code exchange that edx-auth-backends'
``EdXOAuth2`` uses, as the LMS answers them: ``GET /oauth2/authorize`` sends the browser
back to the ``redirect_uri`` with a one-time code (for whoever is "signed in to the LMS":
``sign_in_as``), and ``POST /oauth2/access_token`` exchanges that code, with the client's
id and secret, for a JWT access token (``token_type=jwt``) signed with the development key.
``GET /logout`` is the LMS's logout page.
"""

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from pie.apps.core.tokens import mint_lms_jwt

CLIENT_ID = "pie-sso-key"
CLIENT_SECRET = "pie-sso-secret"


class StandInLms:
    def __init__(self):
        self.claims: dict | None = None
        self.codes: dict[str, tuple[dict, str]] = {}
        self.token_requests: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def sign_in_as(self, *, username: str, lms_user_id: int, **claims) -> None:
        """The LMS user whose browser comes to ``/oauth2/authorize`` next, and the claims of their token."""
        self.claims = {"username": username, "lms_user_id": lms_user_id, **claims}

    def start(self) -> "StandInLms":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def authorize(self, query: dict) -> tuple[int, dict, bytes]:
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code" or self.claims is None:
            return 400, {}, b"unknown client, or nobody is signed in"
        code = secrets.token_urlsafe(16)
        self.codes[code] = (self.claims, query["redirect_uri"])
        back = urlencode({"code": code, "state": query.get("state", "")})
        separator = "&" if "?" in query["redirect_uri"] else "?"
        return 302, {"Location": f"{query['redirect_uri']}{separator}{back}"}, b""

    def access_token(self, form: dict) -> tuple[int, dict, bytes]:
        self.token_requests.append(form)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _json(401, {"error": "invalid_client"})
        claims, redirect_uri = self.codes.pop(form.get("code", ""), (None, None))
        if claims is None or form.get("redirect_uri") != redirect_uri or form.get("grant_type") != "authorization_code":
            return _json(400, {"error": "invalid_grant"})
        claims = dict(claims)
        token = mint_lms_jwt(
            lms_user_id=claims.pop("lms_user_id"),
            username=claims.pop("username"),
            administrator=claims.pop("administrator", False),
            extra_claims=claims,
        )
        return _json(
            200,
            {
                "access_token": token,
                "token_type": "JWT",
                "expires_in": 3600,
                "scope": "user_id profile email",
                "refresh_token": secrets.token_urlsafe(16),
            },
        )


def _json(status: int, body: dict) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _handler_for(lms: StandInLms):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlparse(self.path)
            query = {name: values[0] for name, values in parse_qs(url.query).items()}
            if url.path == "/oauth2/authorize":
                self._answer(*lms.authorize(query))
            elif url.path == "/logout":
                self._answer(200, {"Content-Type": "text/plain"}, b"signed out of the LMS")
            else:
                self._answer(404, {}, b"")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            form = {name: values[0] for name, values in parse_qs(body).items()}
            if urlparse(self.path).path == "/oauth2/access_token":
                self._answer(*lms.access_token(form))
            else:
                self._answer(404, {}, b"")

        def _answer(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # quiet
            pass

    return Handler
