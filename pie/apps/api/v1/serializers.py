"""
Input and output shapes of the v1 endpoints: plain serializers, one pair per endpoint, and
the answers built without a DRF field per value (``intent_representation``, ``bulk_answer``).

Input serializers check shape and type only, with the fields of ``fields``, and refuse
fields they do not know. The rules an intent must meet (known reason and certainty, a
timestamp not in the future) live in ``pie.apps.intents.validation`` and are applied by the
service.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from pie.apps.api.v1.fields import (
    BlankIsNotOmittedMixin,
    CertaintyField,
    LmsUserIdField,
    QuerySerializer,
    ReasonField,
    StrictSerializer,
    TimestampField,
    UuidStringField,
)
from pie.apps.api.v1.pagination import CURSOR_MAX_LENGTH, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from pie.apps.api.v1.parsers import BulkBody
from pie.apps.intents.constants import CERTAINTY_MAX_LENGTH, REASON_MAX_LENGTH, IntentCertainty, IntentReason
from pie.apps.intents.intake.source import in_input_order
from pie.apps.intents.services import RecordIntentsResult, RejectedRow
from pie.apps.intents.validation import parse_timestamp

# Longer than any ISO 8601 timestamp; a bound so no huge string reaches the parser.
TIMESTAMP_MAX_LENGTH = 64
# How many programs one GET may name.
MAX_PROGRAM_UUIDS = 100


class BulkIntentRequestSerializer(StrictSerializer):
    """One intent of a bulk JSON body: every field required, so that a retried body records nothing new."""

    lms_user_id = LmsUserIdField(help_text="The learner's LMS user id.")
    program_uuid = UuidStringField(help_text="The program's UUID.")
    reason = ReasonField(max_length=REASON_MAX_LENGTH, help_text="Why we believe it.")
    certainty = CertaintyField(max_length=CERTAINTY_MAX_LENGTH, help_text="How sure we are.")
    effective_timestamp = TimestampField(
        max_length=TIMESTAMP_MAX_LENGTH,
        help_text="When the event behind the reason happened: ISO 8601, no zone means UTC. Required here.",
    )


class ProgramIntentCreateRequestSerializer(BulkIntentRequestSerializer):
    """The body of ``POST /api/v1/program_intents/``: a bulk item's fields, the learner and the time optional."""

    lms_user_id = LmsUserIdField(
        required=False,
        help_text="The learner's LMS user id. Omit it to record for yourself; only staff may name another learner.",
    )
    effective_timestamp = TimestampField(
        required=False,
        max_length=TIMESTAMP_MAX_LENGTH,
        help_text="When the event behind the reason happened: ISO 8601, no zone means UTC. Omitted means now.",
    )


class MostRecentAndCertainRequestSerializer(QuerySerializer):
    """The query of ``GET /api/v1/program_intents/most_recent_and_certain/``."""

    program_uuid = serializers.ListField(
        child=UuidStringField(),
        required=False,
        max_length=MAX_PROGRAM_UUIDS,
        help_text=f"Limit the list to these programs; repeat the parameter, up to {MAX_PROGRAM_UUIDS} times.",
    )
    lms_user_id = LmsUserIdField(
        required=False, help_text="Staff only: read this learner's intents. Learners read their own."
    )
    # DRF's format override (?format=json).
    ignored_fields = StrictSerializer.ignored_fields | {"format"}


class _Cursor(BlankIsNotOmittedMixin, serializers.CharField):
    pass


class _PageSize(BlankIsNotOmittedMixin, serializers.IntegerField):
    def to_internal_value(self, data):
        # DRF's IntegerField strips a trailing ".0" and leaves the rest to int(), which takes
        # " 10", "+10", "1_0" and non-ASCII digits: a page size is ASCII digits only.
        if isinstance(data, str) and not (data.isascii() and data.isdigit()):
            self.fail("invalid")
        return super().to_internal_value(data)


class PageRequestSerializer(QuerySerializer):
    """
    The paging parameters of a cursor-paged GET (``cursor=`` and ``page_size=`` are blank,
    not omitted; each given once).
    """

    cursor = _Cursor(
        required=False, max_length=CURSOR_MAX_LENGTH, help_text="A page's next or previous cursor, as given."
    )
    page_size = _PageSize(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        help_text=f"Rows a page, {DEFAULT_PAGE_SIZE} unless given; at most {MAX_PAGE_SIZE}.",
    )
    ignored_fields = StrictSerializer.ignored_fields | {"format"}


class ProgramHistoryRequestSerializer(PageRequestSerializer):
    """The query of ``GET /api/v1/program_intents/``: one program's history of a learner."""

    program_uuid = UuidStringField(help_text="The program.")
    lms_user_id = LmsUserIdField(
        required=False, help_text="Staff only: read this learner's history. Learners read their own."
    )


class ProgramLearnersRequestSerializer(PageRequestSerializer):
    """The query of ``GET /api/v1/programs/{program_uuid}/learners/``."""

    certainty = serializers.ListField(
        child=serializers.ChoiceField(choices=IntentCertainty.choices),
        required=False,
        max_length=len(IntentCertainty.values),
        help_text="Only the learners whose current intent has one of these certainties (repeat the parameter).",
    )
    reason = serializers.ListField(
        child=serializers.ChoiceField(choices=IntentReason.choices),
        required=False,
        max_length=len(IntentReason.values),
        help_text="Only the learners whose current intent has one of these reasons (repeat the parameter).",
    )


class ProgramEngagementRequestSerializer(QuerySerializer):
    """The query of ``GET /api/v1/programs/{program_uuid}/engagement/``."""

    as_of = TimestampField(
        required=False,
        max_length=TIMESTAMP_MAX_LENGTH,
        help_text="Count the intents in effect then (ISO 8601, no zone means UTC; not later than now). Default: now.",
    )
    ignored_fields = StrictSerializer.ignored_fields | {"format"}

    def validate_as_of(self, value):
        try:
            as_of = parse_timestamp(value)
        except ValueError:
            raise serializers.ValidationError("Must be an ISO 8601 timestamp, such as 2024-07-01T00:00:00Z.") from None
        if as_of > timezone.now():
            raise serializers.ValidationError("Must not be later than now.")
        return as_of


def program_uuid_of_path(value: str):
    """The program UUID of a path, read as a query's is: a malformed one is a 400 on ``program_uuid``."""
    try:
        return UuidStringField().run_validation(value)
    except serializers.ValidationError as error:
        raise serializers.ValidationError({"program_uuid": error.detail}) from None


class ProgramIntentResponseSerializer(serializers.Serializer):
    """An intent, as every endpoint returns it (the schema's description of ``intent_representation``)."""

    id = serializers.IntegerField()
    lms_user_id = serializers.IntegerField()
    program_uuid = serializers.UUIDField()
    reason = serializers.ChoiceField(choices=IntentReason.choices)
    certainty = serializers.ChoiceField(choices=IntentCertainty.choices)
    effective_timestamp = serializers.DateTimeField()
    created = serializers.DateTimeField()


def intent_representation(intent) -> dict:
    """
    An intent (a ``ProgramIntent`` or a selector's ``IntentRow``) as the API returns it:
    what ``ProgramIntentResponseSerializer`` documents, without a DRF field per value.
    The UUID and the (UTC) datetimes are left to the JSON renderer, which writes them as
    the serializer would; a test holds the two to the same output.
    """
    return {
        "id": intent.id,
        "lms_user_id": intent.lms_user_id,
        "program_uuid": intent.program_uuid,
        "reason": intent.reason,
        "certainty": intent.certainty,
        "effective_timestamp": intent.effective_timestamp,
        "created": intent.created,
    }


class ProgramIntentBulkRequestSerializer(StrictSerializer):
    """The JSON body of ``POST /api/v1/program_intents/bulk/`` (for the schema: ``v1.parsers`` reads it)."""

    intents = BulkIntentRequestSerializer(many=True, help_text="The intents; at most PIE_BULK_API_MAX_INTENTS.")


class BulkRejectionSerializer(serializers.Serializer):
    """An item that was not recorded, and why."""

    index = serializers.IntegerField(required=False, help_text="JSON body: the item's index in intents, from 0.")
    line = serializers.IntegerField(required=False, help_text="CSV body: the record's line (the header is line 1).")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages for each field at fault (CSV: named by column); non_field_errors for the item as a whole.",
    )


class ProgramIntentBulkResponseSerializer(serializers.Serializer):
    """What a bulk request did."""

    created = serializers.IntegerField(help_text="Intents recorded by this request.")
    duplicates = serializers.IntegerField(
        help_text="Intents already recorded, or repeated earlier in the body: skipped."
    )
    rejected = BulkRejectionSerializer(many=True, help_text="Items not recorded, in the body's order.")


def bulk_answer(body: BulkBody, result: RecordIntentsResult) -> dict:
    """
    The answer to a bulk body (``ProgramIntentBulkResponseSerializer``): the service's
    counts, and every rejected item, refused by the parser or by the service, in the body's order.
    """
    key = "index" if body.kind == "json" else "line"
    rejected = (_rejection(body, row) for row in result.rejected)
    return {
        "created": result.inserted,
        "duplicates": result.duplicates,
        "rejected": in_input_order(body.refused, rejected, position=lambda item: item[key]),
    }


def _rejection(body: BulkBody, rejected: RejectedRow) -> dict:
    where, number = body.name(rejected.row)
    errors = {body.field_name(name): [message] for name, message in rejected.errors.items()}
    return {where: number, "errors": errors}


class RetireUserRequestSerializer(serializers.Serializer):
    """The retirement pipeline's call: whom to retire. Other fields it may send are ignored."""

    lms_user_id = LmsUserIdField(help_text="The LMS user id of the learner to retire.")
    original_username = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The learner's LMS username: a local user stored under it without an LMS id is deleted too.",
    )


@extend_schema_serializer(many=False)  # a page, also as the answer of a ``list`` action
class ProgramIntentPageSerializer(serializers.Serializer):
    """A page of intents, in DRF's cursor format."""

    next = serializers.URLField(allow_null=True, help_text="The next page, or null at the end.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null on the first.")
    results = ProgramIntentResponseSerializer(many=True)


def _counts(choices, what: str) -> serializers.Serializer:
    fields = {
        value: serializers.IntegerField(help_text=f"Learners whose current intent's {what} is {value}.")
        for value in choices
    }
    return type(f"By{what.title()}Serializer", (serializers.Serializer,), fields)()


class ProgramEngagementResponseSerializer(serializers.Serializer):
    """How many learners a program has, by their current intent for it."""

    program_uuid = serializers.UUIDField()
    learners = serializers.IntegerField(help_text="Learners with an intent for the program (in effect at as_of).")
    by_certainty = _counts(IntentCertainty.values, "certainty")
    by_reason = _counts(IntentReason.values, "reason")
    as_of = serializers.DateTimeField(help_text="The time the counts are for: the as_of given, else now.")
