"""Progress lines of long stages: rows done, rows/s and ETA, in task logs and on the CLI.

A stage that knows its total (rows of a batch's raw tables, files of a landing folder) reports
after each unit of work (a table, a file). Lines start with ``[progress]`` so ``crmguard run``
can echo them from the Airflow task logs while the DAG runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

MARKER = "[progress]"
log = logging.getLogger("crmguard.progress")


class Progress:
    """Counts rows done of ``total_rows`` over ``total_items`` units of one stage."""

    def __init__(
        self,
        stage: str,
        total_rows: int,
        total_items: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stage = stage
        self.total_rows = total_rows
        self.total_items = total_items
        self.clock = clock
        self.started = clock()
        self.rows_done = 0
        self.items_done = 0

    def item_done(self, item: str, rows: int, seconds: float) -> str:
        """Record one finished unit of ``rows`` that took ``seconds``; log and return the line."""
        self.rows_done += rows
        self.items_done += 1
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.rows_done / elapsed
        left = max(self.total_rows - self.rows_done, 0)
        eta = f"ETA {left / rate:.0f} s" if rate > 0 and left else "done"
        share = self.rows_done / self.total_rows if self.total_rows else 1.0
        line = (
            f"{MARKER} {self.stage} {self.items_done}/{self.total_items} {item}: "
            f"{rows:,} rows in {seconds:.1f} s ({rows / max(seconds, 1e-9):,.0f} rows/s); "
            f"{self.rows_done:,} of {self.total_rows:,} rows ({share:.0%}) at "
            f"{rate:,.0f} rows/s, {eta}"
        )
        log.info(line)
        return line
