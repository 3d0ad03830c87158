"""PIE's URLs plus one view that fails, to test the JSON 500 handler."""

from django.urls import path

from pie.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def fail(request):
    raise RuntimeError("a bug")


urlpatterns = [*urlpatterns, path("fail/", fail)]
