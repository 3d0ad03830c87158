"""v1 URLs. Each path answers with and without its trailing slash (the frontend omits it)."""

from rest_framework.routers import SimpleRouter

from pie.apps.api.v1 import views

app_name = "v1"


class OptionalSlashRouter(SimpleRouter):
    """A ``SimpleRouter`` whose routes match with or without the trailing slash (no API root, no format suffixes)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("program_intents", views.ProgramIntentViewSet, basename="program_intents")

urlpatterns = router.urls
