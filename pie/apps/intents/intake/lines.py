"""
The lines of a report's text, read in chunks, each line of bounded length.

A file object hands out whole lines, however long: a file with no newline (``/dev/zero``)
would be read into memory whole. ``BoundedLines`` reads the text a chunk at a time and
splits it as the file object would (``\\n``, ``\\r\\n`` and ``\\r`` end a line), so memory
stays within a few chunks whatever the input. A line longer than ``max_chars`` is read
past without being kept: it is reported by its number and stands as an empty line, so the
numbers of the lines after it stay right. Between chunks it asks ``should_stop`` whether
to stop reading (a signal), so a long stretch of blank lines does not delay a stop.
"""

import io
from collections.abc import Callable, Iterator

# Longer than any real record of a report (about 100 characters), and the csv module's
# own limit on a field.
MAX_LINE_CHARS = 131_072
CHUNK_CHARS = 1 << 20


class BoundedLines:
    """An iterator of the text's lines (with their endings), for ``csv.reader``."""

    def __init__(
        self,
        text: io.TextIOBase,
        *,
        on_overlong: Callable[[int], None],
        should_stop: Callable[[], bool] = lambda: False,
        max_chars: int = MAX_LINE_CHARS,
        chunk_chars: int = CHUNK_CHARS,
    ):
        self._text, self._on_overlong, self._should_stop = text, on_overlong, should_stop
        self._max, self._chunk = max_chars, max(chunk_chars, 2)
        self.lines_read = 0
        self.exhausted = False  # the text was read to its end
        self.stopped = False  # should_stop said yes before the end
        self._lines = self._generate()

    def __iter__(self) -> Iterator[str]:
        return self._lines

    def __next__(self) -> str:
        return next(self._lines)

    def _generate(self) -> Iterator[str]:
        carry, skipping = "", False
        while True:
            if self._should_stop():
                self.stopped = True
                return
            chunk = self._text.read(self._chunk)
            if not chunk:
                break
            lines = io.StringIO(carry + chunk, newline="").readlines()
            # The last line may go on in the next chunk (a "\r" may be the first half of "\r\n").
            carry = lines.pop() if not lines[-1].endswith("\n") else ""
            if skipping and lines:
                # The end of an overlong line: it stands as one empty line.
                lines[0], skipping = "\n", False
                self._report_overlong(1)
            if carry and len(carry) > self._max:
                carry, skipping = "", True
            yield from self._checked(lines)
        self.exhausted = True
        if skipping:
            self._report_overlong(1)
            yield "\n"
        elif carry:
            yield from self._checked([carry])

    def _checked(self, lines: list[str]) -> Iterator[str]:
        first = self.lines_read + 1
        self.lines_read += len(lines)
        if max(map(len, lines), default=0) <= self._max:
            return iter(lines)
        for index, line in enumerate(lines):
            if len(line) > self._max:
                lines[index] = "\n"
                self._on_overlong(first + index)
        return iter(lines)

    def _report_overlong(self, count: int) -> None:
        # The overlong line is the one after those counted so far.
        self._on_overlong(self.lines_read + count)
