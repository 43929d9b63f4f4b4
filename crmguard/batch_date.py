"""The batch date: the one parser every entry point uses (only ``YYYY-MM-DD`` naming a real day).

A batch date names folders (``landing/<date>/``, ``batch_date=<date>`` partitions), so anything
``date.fromisoformat`` also accepts (``20261120``, ``2026-W47-5``) would create a second partition
for the same day, and anything path-like (``../../etc``) would name a folder outside the data
root. Both are refused here, before any path is built from the text.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re

# ASCII digits only: \d would also take full-width and other Unicode digits
_CANONICAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SHOWN_MAX = 40  # a hostile argument is echoed only this far (one short line)


class BatchDateError(ValueError):
    """The text is not a canonical batch date; the message is one line naming the value."""


def parse_batch_date(text: object) -> dt.date:
    """The day ``text`` names, if it is exactly ``YYYY-MM-DD`` and a real calendar date."""
    shown = repr(text) if len(repr(text)) <= _SHOWN_MAX else repr(text)[:_SHOWN_MAX] + "…"
    if not isinstance(text, str) or not _CANONICAL.fullmatch(text):
        raise BatchDateError(f"batch date {shown} is not YYYY-MM-DD (e.g. 2026-11-20)")
    year, month, day = (int(part) for part in text.split("-"))
    try:
        return dt.date(year, month, day)
    except ValueError as exc:  # 2026-13-01, 2026-02-30
        raise BatchDateError(f"batch date {shown} is not a real date ({exc})") from None


def canonical_batch_date(text: object) -> str:
    """``text`` checked by :func:`parse_batch_date`, as the string that names folders."""
    return parse_batch_date(text).isoformat()


def batch_date_arg(text: str) -> str:
    """argparse ``type=`` for ``--batch-date``: a bad date is a one-line usage error, exit 2."""
    try:
        return canonical_batch_date(text)
    except BatchDateError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
