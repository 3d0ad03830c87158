"""
The building blocks of the v1 serializers: fields that read a value by the domain's own
rule, a serializer that refuses the fields it does not know, and one for a query string
that also refuses a parameter of one value given twice.

A field checks shape and type only (an LMS user id is read by ``pie.apps.core.lms``' one
rule); the rules an intent must meet live in ``pie.apps.intents.validation``, and the
schema documents them through ``extend_schema_field``.
"""

import heapq
from collections.abc import Mapping

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings
from rest_framework.utils import html

from pie.apps.core.lms import LMS_USER_ID_RULE, MAX_LMS_USER_ID, parse_lms_user_id
from pie.apps.intents.constants import IntentCertainty, IntentReason
from pie.apps.intents.validation import parse_uuid


class BlankIsNotOmittedMixin:
    """
    An empty form value is a blank value, not an omitted field.

    DRF reads ``field=`` in a form body as "field omitted" when the field is optional
    (HTML forms send their empty inputs), which would turn ``effective_timestamp=`` into
    "now". PIE's contract has no such exception: blank is refused, as in JSON.
    """

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_LMS_USER_ID})
class LmsUserIdField(BlankIsNotOmittedMixin, serializers.Field):
    """An LMS user id, read by the one rule of every door (``pie.apps.core.lms.parse_lms_user_id``)."""

    default_error_messages = {"invalid": LMS_USER_ID_RULE}

    def to_internal_value(self, data):
        try:
            return parse_lms_user_id(data)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value):
        return value


@extend_schema_field(serializers.ChoiceField(choices=IntentReason.choices))
class ReasonField(serializers.CharField):
    """A reason; which reasons exist is checked by the domain."""


@extend_schema_field(serializers.ChoiceField(choices=IntentCertainty.choices))
class CertaintyField(serializers.CharField):
    """A certainty; which certainties exist is checked by the domain."""


@extend_schema_field({"type": "string", "format": "date-time"})
class TimestampField(BlankIsNotOmittedMixin, serializers.CharField):
    """An ISO 8601 timestamp, as a string (DRF's CharField would take a number), parsed by the domain."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class UuidStringField(serializers.UUIDField):
    """
    A UUID written as a string in one of its canonical forms, read by the domain's parser:
    DRF's UUIDField would also take a number, braces, "urn:uuid:" or a sign.
    """

    def to_internal_value(self, data):
        try:
            if not isinstance(data, str):
                raise ValueError
            return parse_uuid(data)
        except ValueError:
            self.fail("invalid", value=data)


NON_FIELD_ERRORS_KEY = api_settings.NON_FIELD_ERRORS_KEY
# How many unknown fields an error names: a body of 200,000 unknown keys gets a short answer.
MAX_UNKNOWN_FIELDS_NAMED = 20


class StrictSerializer(serializers.Serializer):
    """A serializer that refuses unknown fields, so that a typo is an error rather than a silent default."""

    # Sent by Django's HTML forms, never an intent's field.
    ignored_fields = frozenset({"csrfmiddlewaretoken"})

    def to_internal_value(self, data):
        unknown = set(data) - set(self.fields) - self.ignored_fields if isinstance(data, Mapping) else set()
        errors = {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            errors.update(error.detail)
        errors.update(unknown_field_errors(unknown))
        if errors:
            raise serializers.ValidationError(errors)
        return value


GIVEN_TWICE = "The parameter is given more than once; give it once."


class QuerySerializer(StrictSerializer):
    """
    A query string's serializer: unknown parameters are refused (``StrictSerializer``), and
    so is a parameter of one value (every field but a ``ListField``) given more than once,
    which a ``QueryDict`` would otherwise read as its last value.
    """

    def to_internal_value(self, data):
        repeated = {
            name: [GIVEN_TWICE]
            for name, field in self.fields.items()
            if not isinstance(field, serializers.ListField) and html.is_html_input(data) and len(data.getlist(name)) > 1
        }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if not repeated:
                raise
            raise serializers.ValidationError({**error.detail, **repeated}) from None
        if repeated:
            raise serializers.ValidationError(repeated)
        return value


def unknown_field_errors(unknown: set[str]) -> dict[str, list[str]]:
    """
    The errors of the fields a body should not have: each named (the first
    ``MAX_UNKNOWN_FIELDS_NAMED`` in order), and how many more there are.
    """
    named = heapq.nsmallest(MAX_UNKNOWN_FIELDS_NAMED, unknown)
    errors = {printable_name(name): ["Unknown field."] for name in named}
    if len(unknown) > len(named):
        errors[NON_FIELD_ERRORS_KEY] = [f"And {len(unknown) - len(named)} more unknown fields."]
    return errors


def printable_name(name: str) -> str:
    """A field name as the error may echo it: encodable (a lone surrogate is escaped) and short."""
    text = name.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 64 else f"{text[:61]}..."
