"""A telemetry backend that remembers custom attributes, to test what the API reports."""

import contextlib

from edx_django_utils.monitoring import TelemetryBackend


class RecordingBackend(TelemetryBackend):
    """Keeps every custom attribute set during a test, in ``attributes`` (a class attribute)."""

    attributes: dict = {}

    def set_attribute(self, key, value):
        RecordingBackend.attributes[key] = value

    def record_exception(self):
        pass

    def create_span(self, name, operation_name=None):
        return contextlib.nullcontext()

    def tag_root_span_with_error(self, exception):
        pass

    def set_local_root_span_name(self, name, group=None, priority=None):
        pass
