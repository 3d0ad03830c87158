"""Content negotiation of PIE's API views: they answer JSON, whatever the client accepts."""

from rest_framework.negotiation import DefaultContentNegotiation


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """
    DRF's negotiation for the request's body (JSON, forms, else 415), but JSON for every
    answer: there is one renderer, and a client asking ``Accept: text/html`` without a token
    is better told it needs one (401) than that HTML is not served (406).
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type
