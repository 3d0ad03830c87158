"""
Requests through PIE's own WSGI handler (``pie.wsgi``'s), as gunicorn calls it: Django's
test client builds Django's own request, not PIE's.
"""

import json
from dataclasses import dataclass

from django.core import signals
from django.db import close_old_connections
from django.test import RequestFactory

from pie.apps.core.charsets import Handler


@dataclass
class Answer:
    status_code: int
    headers: dict
    content: bytes

    def json(self):
        return json.loads(self.content)


class WsgiClient(RequestFactory):
    """``RequestFactory``'s requests, answered by PIE's WSGI handler (``client.get(...)`` and so on)."""

    handler = None

    def request(self, **request) -> Answer:
        if WsgiClient.handler is None:
            WsgiClient.handler = Handler()
        environ = self._base_environ(**request)
        started = []
        # As Django's test client does: the test's transaction keeps its connection.
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            content = b"".join(self.handler(environ, lambda status, headers, *_: started.append((status, headers))))
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        status, headers = started[0]
        return Answer(int(status.split()[0]), dict(headers), content)
