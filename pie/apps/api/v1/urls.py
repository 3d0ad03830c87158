"""v1 URLs. Each path answers with and without its trailing slash (the frontend omits it)."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from pie.apps.api.v1.views.intents import ProgramIntentViewSet
from pie.apps.api.v1.views.program_reads import ProgramViewSet
from pie.apps.api.v1.views.retirement import RetireUserView

app_name = "v1"


class OptionalSlashRouter(SimpleRouter):
    """A ``SimpleRouter`` whose routes match with or without the trailing slash (no API root, no format suffixes)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("program_intents", ProgramIntentViewSet, basename="program_intents")
router.register("programs", ProgramViewSet, basename="programs")

urlpatterns = [
    *router.urls,
    re_path(r"^retire_user/?$", RetireUserView.as_view(), name="retire_user"),
]
