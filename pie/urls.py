"""PIE's URLs. Every error answer is JSON (see ``pie.apps.core.errors``)."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from pie.apps.core.sign_in import LogoutView, admin_login, login
from pie.apps.core.views import HealthView

urlpatterns = [
    # Staff sign in through the LMS where it is configured (pie.apps.core.sign_in).
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("login/", login, name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    # social-auth's begin (POST /login/edx-oauth2/) and complete (/complete/edx-oauth2/, the
    # redirect URI registered in the LMS), at the paths other Open edX services use.
    path("", include("social_django.urls", namespace="social")),
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    path("api/", include("pie.apps.api.urls")),
    # edx-drf-extensions' CSRF token for micro-frontends, at the library's path:
    # /csrf/api/v1/token, the one path without a slash-ended twin.
    path("", include("csrf.urls")),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="api-schema"),
    re_path(r"^api-docs/?$", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "pie.apps.core.errors.bad_request"
handler403 = "pie.apps.core.errors.permission_denied"
handler404 = "pie.apps.core.errors.page_not_found"
handler500 = "pie.apps.core.errors.server_error"
