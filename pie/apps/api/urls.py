"""The API's URLs, by version."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("v1/", include("pie.apps.api.v1.urls")),
]
