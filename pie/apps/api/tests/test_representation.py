"""The intent's representation: what the serializer documents, rendered by the API's renderer."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework.renderers import JSONRenderer

from pie.apps.api.v1.serializers import ProgramIntentResponseSerializer, intent_representation
from pie.apps.intents import selectors, services


@pytest.mark.django_db
@pytest.mark.parametrize(
    "when", [datetime(2024, 7, 1, tzinfo=UTC), datetime(2024, 7, 1, 12, 30, 5, 123456, tzinfo=UTC)], ids=str
)
def test_the_representation_renders_as_the_documented_serializer(when):
    intent, _ = services.record_intent(
        lms_user_id=7, program_uuid=uuid.uuid4(), reason="BUNDLE_PURCHASE", certainty="MAYBE", effective_timestamp=when
    )
    (row,) = selectors.most_recent_and_certain(lms_user_id=7)
    documented = json.loads(JSONRenderer().render(ProgramIntentResponseSerializer(intent).data))
    for source in (intent, row):
        assert json.loads(ORJSONRenderer().render(intent_representation(source))) == documented
    assert documented["effective_timestamp"] == when.isoformat().replace("+00:00", "Z")
