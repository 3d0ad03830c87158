"""The request log's lines: each one JSON object shorter than one atomic write to a pipe."""

import orjson
from hypothesis import example, given
from hypothesis import strategies as st

from pie.apps.core.request_log import FIELD_CHARACTERS, LINE_BYTES, bounded_line

_TEXT = st.text(max_size=6000)  # any character: multi-byte ones, and ones JSON escapes
_EVENTS = st.dictionaries(
    st.sampled_from(["event", "path", "method", "request_id", "exception", "level", "other"]),
    _TEXT | st.integers() | st.none(),  # integers: beyond 64 bits too
)


@given(_EVENTS)
@example({"event": -(2**63) - 1, "path": "é" * 3000})  # beyond orjson's integers; two bytes a character
def test_every_event_is_one_json_line_under_the_bound(event):
    line = bounded_line(None, "info", dict(event))
    assert len(line) < LINE_BYTES
    assert b"\n" not in line
    assert isinstance(orjson.loads(line), dict)


def test_a_short_event_is_kept_as_it_is():
    event = {"event": "request_finished", "path": "/health/", "status": 200, "lms_user_id": None}
    assert orjson.loads(bounded_line(None, "info", dict(event))) == event


def test_a_long_field_keeps_its_head_and_a_traceback_its_tail():
    traceback = "Traceback (most recent call last):\n" + "  frame\n" * 2000 + "RuntimeError: a bug\n"
    record = orjson.loads(bounded_line(None, "error", {"path": "/" + "p" * 5000, "exception": traceback}))
    assert record["path"] == "/" + "p" * (FIELD_CHARACTERS - 2) + "…"
    assert record["exception"].startswith("…")
    assert record["exception"].endswith("  frame\nRuntimeError: a bug\n")
