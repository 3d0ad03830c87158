"""
PIE, or the ceiling, under gunicorn for the HTTP benchmarks (``bench_api``, ``bench_bulk_api``).

PIE is served with ``pie/docker_gunicorn_configuration.py`` and ``pie.settings.production``
configured as an operator would: a freshly generated RS512 key pair, its public half as the
JWK set, tokens signed with the private half. The ceiling (``bare_wsgi``) is served with
``bare_gunicorn.py``: the same server settings, for an app that is not Django.
"""

import json
import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path

from benchmarks.common import DATA_DIR, ROOT

ISSUER, AUDIENCE = "https://lms.example.com/oauth2", "pie-bench"
PIE_CONFIG = ROOT / "pie" / "docker_gunicorn_configuration.py"
BARE_CONFIG = Path(__file__).resolve().parent / "bare_gunicorn.py"


class Keys:
    """A fresh RS512 key pair: the public half for PIE's settings, the private half to sign tokens."""

    def __init__(self):
        import jwt
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwt.algorithms import RSAAlgorithm

        self._jwt = jwt
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        self.jwk_set = json.dumps({"keys": [{**public, "kid": "bench", "use": "sig"}]})

    def token(self, lms_user_id: int, *, administrator: bool = False) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 3 * 3600,
            "user_id": lms_user_id,
            "preferred_username": f"learner{lms_user_id}",
            "email": f"learner{lms_user_id}@example.com",
            "administrator": administrator,
            "version": "1.2.0",
            "scopes": ["user_id", "email", "profile"],
            "filters": [],
        }
        return self._jwt.encode(claims, self._key, algorithm="RS512", headers={"kid": "bench"})


def environments(url: str, keys: Keys) -> tuple[dict, dict]:
    """The benchmark's environment (no Django settings), and PIE's: production settings trusting ``keys``."""
    env = dict(os.environ, DATABASE_URL=url)
    env.pop("PYTHONPATH", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    pie_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "pie.settings.production",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "JWT_PUBLIC_SIGNING_JWK_SET": keys.jwk_set,
        "JWT_ISSUERS": json.dumps([{"ISSUER": ISSUER, "AUDIENCE": AUDIENCE, "SECRET_KEY": None}]),
        "CACHE_REDIS_URL": os.environ.get("PIE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "PIE_RETIREMENT_SALTS": uuid.uuid4().hex,
        "SOCIAL_AUTH_EDX_OAUTH2_KEY": "pie-bench-sso-key",
        "SOCIAL_AUTH_EDX_OAUTH2_SECRET": uuid.uuid4().hex,
        "SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT": "http://127.0.0.1:18000",
    }
    return env, pie_env


@contextmanager
def gunicorn(app: str, *, port: int, env: dict, config: Path = PIE_CONFIG, ready: str = "/health/"):
    """gunicorn serving ``app`` (2 workers x 4 threads) from the repository's root, until the block ends."""
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4"}
    DATA_DIR.mkdir(parents=True, exist_ok=True)  # a benchmark run first on a fresh clone has none yet
    log_path = DATA_DIR / f"gunicorn-{port}.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(config), "--chdir", str(ROOT), app],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(port, server, ready, log_path=log_path)
            yield
        finally:
            server.terminate()
            server.wait(timeout=30)


def wait_until_up(port: int, server: subprocess.Popen, path: str, *, log_path: Path, seconds: float = 60) -> None:
    """Until ``path`` answers 200; exits when the server ends first or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn on port {port} exited; see {log_path}")
        try:
            status, _ = http_get(port, path)
            if status == 200:
                return
        except OSError:
            time.sleep(0.1)  # not listening yet
    sys.exit(f"gunicorn on port {port} did not answer within {seconds:.0f} s; see {log_path}")


def http_get(port: int, path: str, token: str | None = None):
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Authorization": f"JWT {token}"} if token else {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body
