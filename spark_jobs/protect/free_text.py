"""Free-text scrubbing: a native rlike prefilter, then Presidio on the candidate rows only.

Rows whose free-text values match the prefilter go, partition by partition, through Presidio
with our recognizers (one analyzer per Python worker); all other rows never leave the JVM.
Findings become ``<CN_MOBILE>``-style labels. (Batched via ``mapPartitions``: the venv's
pyspark-client 4.2 Python files cannot construct 4.3 pandas/Arrow UDFs, see docs/protection.md.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache, reduce

from pyspark.sql import DataFrame, Row
from pyspark.sql import functions as F

from spark_jobs.protect.settings import FreeTextSettings


@lru_cache(maxsize=1)
def _analyzer():
    from classification.engine import get_analyzer

    return get_analyzer()


def scrub_text(text: str, entities: tuple[str, ...], settings: FreeTextSettings) -> str:
    """Replace every finding of ``entities`` in ``text`` by its label, e.g. ``<CN_MOBILE>``."""
    findings = _analyzer().analyze(
        text=text, language=settings.language, entities=list(entities) or None
    )
    spans = sorted(
        (f for f in findings if f.score >= settings.min_score),
        key=lambda f: (-(f.end - f.start), -f.score),
    )
    taken: list[tuple[int, int, str]] = []
    for f in spans:  # longest first; overlapping shorter findings are already covered
        if all(f.end <= s or f.start >= e for s, e, _ in taken):
            taken.append((f.start, f.end, f.entity_type))
    for start, end, entity in sorted(taken, reverse=True):
        text = text[:start] + settings.label_format.format(entity=entity) + text[end:]
    return text


def scrub_free_text(
    df: DataFrame, columns: list[str], entities: list[str], settings: FreeTextSettings
) -> DataFrame:
    """``df`` with its free-text ``columns`` scrubbed (same names, same schema)."""
    if not columns:
        return df
    candidate = reduce(
        lambda a, b: a | b,
        [
            F.coalesce(F.col(f"`{c}`").rlike(settings.prefilter_regex), F.lit(False))
            for c in columns
        ],
    )
    positions = [df.columns.index(c) for c in columns]
    wanted = tuple(sorted(entities))

    def scrub_partition(rows: Iterable[Row]) -> Iterator[tuple]:
        for row in rows:
            values = list(row)
            for i in positions:
                if values[i] is not None:
                    values[i] = scrub_text(values[i], wanted, settings)
            yield tuple(values)

    scrubbed = df.sparkSession.createDataFrame(
        df.where(candidate).rdd.mapPartitions(scrub_partition), df.schema
    )
    return scrubbed.unionByName(df.where(~candidate))
