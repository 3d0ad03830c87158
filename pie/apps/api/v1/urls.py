"""v1 URLs. Each path answers with and without its trailing slash (the frontend omits it)."""

from django.urls import re_path

from pie.apps.api.v1 import views

app_name = "v1"

urlpatterns = [
    re_path(r"^program_intents/?$", views.ProgramIntentsView.as_view(), name="program_intents"),
    re_path(
        r"^program_intents/most_recent_and_certain/?$",
        views.MostRecentAndCertainView.as_view(),
        name="most_recent_and_certain",
    ),
]
