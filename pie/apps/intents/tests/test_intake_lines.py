"""bulk.lines: a text's lines, read in chunks, each of bounded length."""

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pie.apps.intents.intake.lines import BoundedLines


def read(text: str, *, max_chars=10, chunk_chars=4, stop_after=None):
    overlong, calls = [], []

    def should_stop():
        calls.append(1)
        return stop_after is not None and len(calls) > stop_after

    lines = BoundedLines(
        io.StringIO(text, newline=""),
        on_overlong=overlong.append,
        should_stop=should_stop,
        max_chars=max_chars,
        chunk_chars=chunk_chars,
    )
    return list(lines), overlong, lines


@given(st.text(alphabet="ab,\r\n", max_size=60), st.integers(min_value=2, max_value=9))
def test_short_lines_come_out_as_the_file_object_splits_them(text, chunk_chars):
    expected = io.StringIO(text, newline="").readlines()
    assert read(text, max_chars=100, chunk_chars=chunk_chars)[0] == expected


def test_a_crlf_split_between_chunks_stays_one_line_end():
    assert read("abc\r\ndef\r\n", chunk_chars=4)[0] == ["abc\r\n", "def\r\n"]


@pytest.mark.parametrize("chunk_chars", [3, 4, 7, 64])
def test_an_overlong_line_is_reported_by_its_number_and_stands_as_an_empty_line(chunk_chars):
    lines, overlong, _ = read("a\n" + "x" * 25 + "\nb\n" + "y" * 11, chunk_chars=chunk_chars)
    assert lines[:3] == ["a\n", "\n", "b\n"]
    assert overlong == [2, 4]
    assert len(lines) == 4


def test_the_end_of_the_text_is_told_apart_from_a_stop():
    _, _, whole = read("a\nb\n")
    assert (whole.exhausted, whole.stopped) == (True, False)
    lines, _, stopped = read("a\nb\nc\nd\ne\n", chunk_chars=2, stop_after=1)
    assert (stopped.exhausted, stopped.stopped) == (False, True)
    assert lines == ["a\n"]
