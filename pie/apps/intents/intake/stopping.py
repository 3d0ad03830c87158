"""
How an operator stops a bulk load, and how ``--sleep`` paces one.

Ctrl-C (SIGINT) and SIGTERM mean "stop reading, write what was read, and stop"; a second
signal acts at once, rolling back the batch being written with its transaction.
"""

import signal
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


class SignalStop:
    """Which signal asked the load to stop, if one did."""

    signal: str | None = None

    def requested(self) -> bool:
        return self.signal is not None


@contextmanager
def stop_on_signals() -> Iterator[SignalStop]:
    """Turn the first SIGINT or SIGTERM into a ``SignalStop``; the next one is the signal's default."""
    stop = SignalStop()
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.getsignal(number) for number in signals}

    def handler(number, frame):
        stop.signal = signal.Signals(number).name
        signal.signal(number, previous[number] if previous[number] is not None else signal.SIG_DFL)

    for number in signals:
        signal.signal(number, handler)
    try:
        yield stop
    finally:
        for number, action in previous.items():
            signal.signal(number, action)


class Pause:
    """
    ``--sleep``: a pause before each batch but the first, so none follows the last batch.

    Outside any transaction (the previous batch is committed, the next not begun), and cut
    short by a stop, which then ends the load there.
    """

    def __init__(self, *, seconds: float, stop: SignalStop):
        self.seconds = seconds
        self.stop = stop
        self.due = False

    def between_batches(self, rows: Iterable[dict]) -> Iterable[dict]:
        return self._paced(rows) if self.seconds else rows

    def _paced(self, rows: Iterable[dict]) -> Iterator[dict]:
        for row in rows:
            if self.due:
                self.due = False
                deadline = time.monotonic() + self.seconds
                while not self.stop.requested() and (left := deadline - time.monotonic()) > 0:
                    time.sleep(min(left, 0.1))
                if self.stop.requested():
                    return
            yield row
