"""Every rule an intent's values must meet, shared by all write paths."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from pie.apps.intents.exceptions import InvalidIntentError
from pie.apps.intents.validation import clean_intent, intent_key_cleaner, parse_timestamp

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
GOOD = {
    "lms_user_id": 7,
    "program_uuid": "6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e",
    "reason": "LEARNER_STATED",
    "certainty": "CERTAIN_NO",
    "effective_timestamp": "2024-05-01T10:00:00Z",
}


def clean(**overrides):
    return clean_intent({**GOOD, **overrides}, now=NOW)


def test_good_values_are_normalised():
    values = clean()
    assert values.lms_user_id == 7
    assert values.program_uuid == uuid.UUID(GOOD["program_uuid"])
    assert (values.reason, values.certainty) == ("LEARNER_STATED", "CERTAIN_NO")
    assert values.effective_timestamp == datetime(2024, 5, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lms_user_id", 0),
        ("lms_user_id", -3),
        ("lms_user_id", "abc"),
        ("lms_user_id", "1.5"),
        ("lms_user_id", 1.0),
        ("lms_user_id", True),
        ("lms_user_id", 2**31),
        ("lms_user_id", None),
        ("lms_user_id", ""),
        ("lms_user_id", "1_000"),
        ("lms_user_id", "+7"),
        ("lms_user_id", "٣"),
        ("lms_user_id", "²"),
        ("program_uuid", "not-a-uuid"),
        ("program_uuid", "6e1e5a3c-1e38-4f0c-9a44"),
        ("program_uuid", 12345),
        ("program_uuid", None),
        ("reason", "GUESSED"),
        ("reason", "bundle_purchase"),
        ("reason", ["BUNDLE_PURCHASE"]),
        ("reason", None),
        ("certainty", "PROBABLY"),
        ("certainty", 1),
        ("certainty", ""),
        ("effective_timestamp", "yesterday"),
        ("effective_timestamp", "2022-13-01T00:00:00Z"),
        ("effective_timestamp", 1656633600),
        ("effective_timestamp", None),
        ("effective_timestamp", "0001-01-01T00:00:00+01:00"),
        ("effective_timestamp", "9999-12-31T23:59:59-01:00"),
        ("effective_timestamp", (NOW + timedelta(hours=1)).isoformat()),
        ("effective_timestamp", NOW + timedelta(days=365)),
    ],
)
def test_each_bad_value_is_refused_and_named(field, value):
    with pytest.raises(InvalidIntentError) as raised:
        clean(**{field: value})
    assert set(raised.value.errors) == {field}
    assert raised.value.errors[field]


OUT_OF_RANGE = "Out of range: must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z once in UTC."


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("0001-01-01T00:00:00+05:00", id="text before year 1 in UTC"),
        pytest.param("9999-12-31T23:59:59-01:00", id="text after year 9999 in UTC"),
        pytest.param(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))), id="datetime before year 1 in UTC"),
        pytest.param(
            datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))), id="datetime after year 9999 in UTC"
        ),
    ],
)
@pytest.mark.parametrize("cleaner", [clean_intent, "intent_key_cleaner"])
def test_a_timestamp_beyond_utcs_range_is_out_of_range_not_in_the_future(value, cleaner):
    check = intent_key_cleaner(now=NOW) if cleaner == "intent_key_cleaner" else lambda row: cleaner(row, now=NOW)
    with pytest.raises(InvalidIntentError) as raised:
        check({**GOOD, "effective_timestamp": value})
    assert raised.value.errors == {"effective_timestamp": OUT_OF_RANGE}


def test_the_earliest_and_latest_instants_in_utc_are_accepted():
    assert clean(effective_timestamp="0001-01-01T00:00:00-05:00").effective_timestamp == datetime(
        1, 1, 1, 5, tzinfo=UTC
    )
    assert clean(effective_timestamp="0001-01-01T00:00:00Z").effective_timestamp == datetime(1, 1, 1, tzinfo=UTC)


def test_missing_values_say_required():
    with pytest.raises(InvalidIntentError) as raised:
        clean(reason=None, program_uuid="")
    assert raised.value.errors == {"reason": "This field is required.", "program_uuid": "This field is required."}


def test_all_fields_at_fault_are_reported_together():
    with pytest.raises(InvalidIntentError) as raised:
        clean(lms_user_id=0, program_uuid="x", reason="x", certainty="x", effective_timestamp="x")
    assert set(raised.value.errors) == {"lms_user_id", "program_uuid", "reason", "certainty", "effective_timestamp"}


def test_a_small_clock_skew_is_allowed():
    assert clean(effective_timestamp=NOW + timedelta(seconds=30)).effective_timestamp == NOW + timedelta(seconds=30)


def test_the_skew_allowance_is_a_setting(settings):
    settings.PIE_INTENT_MAX_CLOCK_SKEW_SECONDS = 0
    with pytest.raises(InvalidIntentError):
        clean(effective_timestamp=NOW + timedelta(seconds=1))


def test_naive_datetime_means_utc():
    assert clean(effective_timestamp=datetime(2024, 1, 2, 3, 4)).effective_timestamp == datetime(
        2024, 1, 2, 3, 4, tzinfo=UTC
    )


def test_aware_datetime_is_converted_to_utc():
    plus_two = timezone(timedelta(hours=2))
    cleaned = clean(effective_timestamp=datetime(2024, 1, 2, 5, 0, tzinfo=plus_two))
    assert cleaned.effective_timestamp == datetime(2024, 1, 2, 3, 0, tzinfo=UTC)
    assert cleaned.effective_timestamp.tzinfo == UTC


def test_numeric_strings_and_uuid_objects_are_accepted():
    program = uuid.uuid4()
    values = clean(lms_user_id="012", program_uuid=program)
    assert (values.lms_user_id, values.program_uuid) == (12, program)


# The one rule of an LMS user id (pie.apps.core.lms), here as at every door: a JSON integer,
# or ASCII digits. Spaces are trimmed only from a CSV cell, by the reader of the file.
@pytest.mark.parametrize(
    "lms_user_id", [" 70 ", "70 ", "+72", "8_302", "\u0667\u0660", "70.0", 70.0, "1e3", "00000000070", True]
)
def test_an_lms_user_id_of_any_other_form_is_refused(lms_user_id):
    with pytest.raises(InvalidIntentError) as error:
        clean(lms_user_id=lms_user_id)
    assert set(error.value.errors) == {"lms_user_id"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-07-01 00:00:00 Z", datetime(2022, 7, 1, tzinfo=UTC)),
        ("2022-07-01 00:00:00Z", datetime(2022, 7, 1, tzinfo=UTC)),
        ("2022-07-01T00:00:00Z", datetime(2022, 7, 1, tzinfo=UTC)),
        ("2022-07-01T00:00:00.250000Z", datetime(2022, 7, 1, 0, 0, 0, 250000, tzinfo=UTC)),
        ("2022-07-01T02:00:00+02:00", datetime(2022, 7, 1, tzinfo=UTC)),
        ("2022-07-01 02:00:00 +0200", datetime(2022, 7, 1, tzinfo=UTC)),
        ("2022-06-30T19:00:00-05:00", datetime(2022, 7, 1, tzinfo=UTC)),
        ("2022-07-01 00:00:00", datetime(2022, 7, 1, tzinfo=UTC)),
        ("  2022-07-01T00:00:00  ", datetime(2022, 7, 1, tzinfo=UTC)),
    ],
)
def test_timestamp_forms(text, expected):
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo == UTC


# Offsets whose minutes or hours are out of range: timedelta would read +00:99 as +01:39.
BAD_OFFSETS = ["+00:99", "-00:75", "+00:60", "+0060", "+24:00", "-24", "+99:00"]


@pytest.mark.parametrize("text", ["", "Z", "07/01/2022", "2022-07-01 25:00:00", "2022-07-01T00:00:00 EST"])
def test_unparseable_timestamps(text):
    with pytest.raises(ValueError, match=r"not an ISO 8601 timestamp|out of range|must be in"):
        parse_timestamp(text)


@pytest.mark.parametrize("offset", BAD_OFFSETS)
def test_an_offset_out_of_range_is_refused_not_shifted(offset):
    with pytest.raises(ValueError, match="not a UTC offset"):
        parse_timestamp(f"2022-07-01T00:00:00{offset}")
    for path in (clean, lambda **values: intent_key_cleaner(now=NOW)({**GOOD, **values})):
        with pytest.raises(InvalidIntentError) as raised:
            path(effective_timestamp=f"2022-07-01T00:00:00{offset}")
        assert set(raised.value.errors) == {"effective_timestamp"}


@pytest.mark.parametrize("offset", ["+23:59", "-23:59", "+00:00", "+0530", "-09"])
def test_offsets_in_range_are_read(offset):
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    shift = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    assert parse_timestamp(f"2022-07-01T00:00:00{offset}") == datetime(2022, 7, 1, tzinfo=UTC) - sign * shift


# The batch path (intent_key_cleaner) has a short path for rows of valid strings (or an int
# id); it must agree with clean_intent_values on every input: the same key, or the same errors.
_TEXTS = st.sampled_from(
    [
        "",
        " ",
        "7",
        " 12 ",
        "0",
        "-3",
        "1_000",
        "2147483647",
        "2147483648",
        "1.5",
        "abc",
        "6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e",
        " 6E1E5A3C1E384F0C9A443B9F1F0C6A2E ",
        "{6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e}",
        "6e1e5a3c-1e38-4f0c-9a44",
        "LEARNER_STATED",
        "learner_stated",
        "CERTAIN_NO",
        "MAYBE ",
        "2024-05-01 10:00:00 Z",
        "2024-05-01 10:00:00  Z",
        "2024-05-01 Z",
        "2024-05-01T10:00:00Z",
        "2024-05-01T10:00:00 z",
        "2024-05-01T12:00:00+02:00",
        "2024-05-01 12:00:00 +0200",
        "2024-05-01 10:00:00",
        "2024-05-01T10:00:00.5Z",
        "2024-06-01 12:04:00 Z",
        "2024-06-01 13:00:00 Z",
        "2024-W18-3 10:00:00 Z",
        "2024-05-01 10:00:00+01:00 Z",
    ]
)
_VALUES = st.one_of(
    _TEXTS, st.text(max_size=12), st.none(), st.integers(-5, 2**31 + 5), st.just(uuid.UUID(GOOD["program_uuid"]))
)


@hypothesis_settings(max_examples=500, deadline=None)
@given(
    # Mostly valid values, so that whole rows take the short path often.
    lms_user_id=st.one_of(st.sampled_from(["7", " 12 ", "012", "2147483647", 7, 2**31 - 1, True]), _VALUES),
    program_uuid=st.one_of(st.sampled_from([GOOD["program_uuid"], " 6E1E5A3C1E384F0C9A443B9F1F0C6A2E "]), _VALUES),
    reason=st.one_of(st.sampled_from(["BUNDLE_PURCHASE", "LEARNER_STATED"]), _TEXTS),
    certainty=st.one_of(st.sampled_from(["CERTAIN_YES", "MAYBE"]), _TEXTS),
    effective_timestamp=st.one_of(_TEXTS, st.just(datetime(2024, 5, 1, 10, tzinfo=UTC))),
)
def test_the_batch_cleaner_agrees_with_clean_intent(**values):
    try:
        expected = clean_intent(values, now=NOW)
    except InvalidIntentError as error:
        expected = error.errors
    try:
        actual = intent_key_cleaner(now=NOW)(values)
    except InvalidIntentError as error:
        actual = error.errors
    assert actual == expected
    event("accepted" if isinstance(actual, tuple) else "rejected")
    if isinstance(actual, tuple):
        assert actual[2].tzinfo is UTC
        assert type(actual[3]) is str
        assert type(actual[4]) is str


def test_the_batch_cleaner_reads_only_the_row_keys_it_knows():
    row = {**GOOD, "line": 12, "fields": ["whatever"]}
    assert intent_key_cleaner(now=NOW)(row) == clean()


@pytest.mark.parametrize("lms_user_id", ["7", "2147483647", "007", 7, 2**31 - 1])
@pytest.mark.parametrize(
    "program_uuid", [GOOD["program_uuid"], " 6E1E5A3C1E384F0C9A443B9F1F0C6A2E ", GOOD["program_uuid"].upper()]
)
@pytest.mark.parametrize(
    "effective_timestamp",
    [
        "2024-05-01 10:00:00 Z",
        "2024-05-01T10:00:00Z",
        "2024-05-01T10:00:00.000001Z",
        "2024-05-01T12:00:00+02:00",
        "2024-05-01 10:00:00",
        "2024-06-01 12:05:00 Z",
    ],
)
def test_the_batch_cleaner_short_path_gives_the_same_key(lms_user_id, program_uuid, effective_timestamp):
    values = {**GOOD, "lms_user_id": lms_user_id, "program_uuid": program_uuid}
    values["effective_timestamp"] = effective_timestamp
    assert intent_key_cleaner(now=NOW)(values) == clean_intent(values, now=NOW)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("+6e1e5a3c1e384f0c9a443b9f1f0c6a2", id="a sign and 31 digits"),
        pytest.param("6e1e5a3c_1e38_4f0c_9a44_3b9f1f0c6a2e", id="underscores"),
        pytest.param("6e1e5a3c1e384f0c9a443b9f1f0c6a2\u0663", id="a non-ASCII digit"),
        pytest.param("{6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e}", id="braces"),
        pytest.param("urn:uuid:6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e", id="urn"),
        pytest.param("6e1e5a3c1e38-4f0c-9a44-3b9f1f0c6a2e", id="a hyphen missing"),
        pytest.param("6e1e-5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e", id="a hyphen misplaced"),
        pytest.param("6e1e5a3c1e384f0c9a443b9f1f0c6a2e0", id="33 digits"),
        pytest.param("6e1e5a3c1e384f0c9a443b9f1f0c6a2e\n", id="a newline"),
    ],
)
def test_only_the_canonical_uuid_forms_are_read(text):
    with pytest.raises(InvalidIntentError) as raised:
        clean(program_uuid=text)
    assert set(raised.value.errors) == {"program_uuid"}
    with pytest.raises(InvalidIntentError):
        intent_key_cleaner(now=NOW)({**GOOD, "program_uuid": text})


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("1" * 64, id="64 ones"),
        pytest.param("20240701", id="basic format date"),
        pytest.param("20240501T100000Z", id="basic format"),
        pytest.param("2024-05-01\n10:00:00", id="a newline inside"),
        pytest.param("2024-05-01 10:00:00\tZ", id="a tab before the zone"),
        pytest.param("2024-05-01T10:00:00.1234567Z", id="seven decimals"),
        pytest.param("2024-W18-3", id="week date"),
        pytest.param("\u0662\u0660\u0662\u0664-05-01", id="non-ASCII digits"),
        pytest.param("2024-05-01T10", id="an hour alone"),
        pytest.param("2024-05-01 Z", id="a zone without a time"),
    ],
)
def test_only_the_documented_timestamp_forms_are_read(text):
    with pytest.raises(InvalidIntentError) as raised:
        clean(effective_timestamp=text)
    assert set(raised.value.errors) == {"effective_timestamp"}
    with pytest.raises(InvalidIntentError):
        intent_key_cleaner(now=NOW)({**GOOD, "effective_timestamp": text})


def _is_canonical_uuid(text: str) -> bool:
    """The oracle: 32 hex digits, or 8-4-4-4-12 of them joined by hyphens."""
    hexdigits = set("0123456789abcdefABCDEF")
    parts = text.split("-")
    if len(parts) == 1:
        return len(text) == 32 and set(text) <= hexdigits
    return [len(part) for part in parts] == [8, 4, 4, 4, 12] and set("".join(parts)) <= hexdigits


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(alphabet="0123456789abcdefABCDEF-_+{}:xu\u0663 ", min_size=28, max_size=40),
        st.uuids().map(str),
        st.uuids().map(lambda value: value.hex),
    )
)
def test_a_uuid_text_is_read_exactly_when_it_is_canonical(text):
    try:
        clean(program_uuid=text)
    except InvalidIntentError:
        accepted = False
    else:
        accepted = True
    assert accepted == _is_canonical_uuid(text.strip(" "))
