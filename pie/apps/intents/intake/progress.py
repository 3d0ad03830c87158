"""
Progress of a bulk load: a bar on an interactive terminal, a log line now and then otherwise.

Updated once per batch, so its cost does not grow with the number of rows.
"""

import logging
import sys
import time

from tqdm import tqdm

from pie.apps.intents.intake.report import LoadTotals
from pie.apps.intents.intake.source import OpenedSource

log = logging.getLogger(__name__)


class Progress:
    """Shows how far a load has got; ``update`` after each batch, ``close`` at the end."""

    def __init__(self, *, source: OpenedSource, interval: float, interactive: bool | None = None):
        self._source = source
        self._interval = interval
        self._started = self._last_log = time.monotonic()
        interactive = sys.stderr.isatty() if interactive is None else interactive
        self._bar = (
            tqdm(total=source.size, unit="B", unit_scale=True, desc=source.name, file=sys.stderr, leave=True)
            if interactive
            else None
        )
        self._position = 0

    def update(self, totals: LoadTotals) -> None:
        if self._bar is not None:
            position = self._source.position()
            self._bar.update(max(position - self._position, 0))
            self._position = max(position, self._position)
            self._bar.set_postfix(
                rows=totals.rows_read, created=totals.inserted, dup=totals.duplicates, rejected=totals.rejected
            )
            return
        now = time.monotonic()
        if now - self._last_log >= self._interval:
            self._last_log = now
            elapsed = now - self._started
            share = f" ({self._source.position() / self._source.size:.0%} of the file)" if self._source.size else ""
            log.info(
                "%s: %d rows read%s, %d created, %d duplicates, %d rejected, %.0f rows/s",
                self._source.name,
                totals.rows_read,
                share,
                totals.inserted,
                totals.duplicates,
                totals.rejected,
                totals.rows_read / elapsed if elapsed > 0 else 0.0,
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
