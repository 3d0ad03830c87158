"""PIE's URLs plus views that fail or answer an HTML error, to test the JSON error answers."""

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path

from pie.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def fail(request):
    raise RuntimeError("a bug")


def fail_deep(request, depth: int):
    """A bug ``depth`` calls deep, with a long message: a long traceback."""
    if depth > 0:
        return fail_deep(request, depth - 1)
    raise RuntimeError("a bug deep down: " + "x" * 2000)


def html_gone(request):
    response = HttpResponse("<h1>Gone</h1>", status=410)
    response["Content-Length"] = "14"
    response["Retry-After"] = "120"
    return response


def streamed_html_error(request):
    return StreamingHttpResponse(iter([b"<h1>", b"Unavailable</h1>"]), status=503)


urlpatterns = [
    *urlpatterns,
    path("fail/", fail),
    path("fail/<int:depth>/", fail_deep),
    path("html-gone/", html_gone),
    path("streamed-html-error/", streamed_html_error),
]
