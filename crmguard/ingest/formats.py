"""Typed settings for reading landing files (``config/ingest_formats.yaml``)."""

from __future__ import annotations

from pydantic import Field

from crmguard.config import Strict, load


class CsvDialect(Strict):
    delimiter: str = Field(min_length=1, max_length=1)
    quote: str = Field(min_length=1, max_length=1)
    escape: str = Field(min_length=1, max_length=1)


class IngestEngine(Strict):
    """Bounds of the set-based ingest (crmguard.ingest.engine): memory, spill, chunking, limits."""

    memory_limit: str = Field(pattern=r"^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|KiB|MiB|GiB)$")
    threads: int = Field(gt=0)
    chunk_bytes: int = Field(gt=0)
    max_line_bytes: int = Field(gt=0)
    max_record_lines: int = Field(gt=0)


class IngestFormats(Strict):
    version: int
    csv: CsvDialect
    mostly_min_share: float = Field(gt=0, le=1)
    boolean_true: list[str]
    boolean_false: list[str]
    decimal_precision: int = Field(gt=0, le=38)
    decimal_scale: int = Field(ge=0)
    engine: IngestEngine


def ingest_formats() -> IngestFormats:
    return load("ingest_formats.yaml", IngestFormats)
