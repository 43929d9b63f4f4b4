"""Typed settings of the column classifier and its recognizers (config/classification.yaml)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from crmguard.config import load


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Strict):
    value_min_ratio: float = Field(gt=0, le=1)
    value_min_ratio_with_header: float = Field(gt=0, le=1)
    chance_ratio: float = Field(ge=0, lt=1)
    group_member_min_ratio: float = Field(ge=0, le=1)
    masked_min_share: float = Field(gt=0, le=1)
    free_text_min_ratio: float = Field(gt=0, le=1)
    free_text_min_avg_length: float = Field(gt=0)
    embedded_min_coverage: float = Field(gt=0, le=1)
    header_exact_strength: float = Field(gt=0, le=1)
    header_partial_strength: float = Field(gt=0, le=1)
    header_only_confidence: float = Field(gt=0, le=1)


class ChinaBounds(_Strict):
    lat_min: float
    lat_max: float
    lng_min: float
    lng_max: float

    def contains(self, lat: float, lng: float) -> bool:
        return self.lat_min <= lat <= self.lat_max and self.lng_min <= lng <= self.lng_max


class RecognizerSettings(_Strict):
    mobile_prefixes: list[str]
    bank_bin_prefixes: list[str]
    landline_area_code: str
    china_bounds: ChinaBounds
    plate_provinces: str
    surnames: str
    compound_surnames: list[str]
    marital_values: list[str]
    religion_values: list[str]
    health_terms: list[str]


class FinancialShape(_Strict):
    """The values of a financial C2 column: numbers with few decimals, maybe bounded."""

    max_decimals: int = Field(ge=0, le=6)
    min: float | None = None
    max: float | None = None


class FinancialShapes(_Strict):
    min_share: float = Field(gt=0, le=1)
    entities: dict[str, FinancialShape]


class ValueShape(_Strict):
    pattern: str
    admits: list[str] | None = None  # None: a hit of any entity counts


class ValueShapes(_Strict):
    min_share: float = Field(gt=0, le=1)
    enumeration_max_distinct: int = Field(gt=0)
    enumeration_max_length: int = Field(gt=0)
    shapes: dict[str, ValueShape]


class ClassificationSettings(_Strict):
    version: int
    sample_size: int = Field(gt=0)
    sample_seed: int
    analyze_batch_size: int = Field(gt=0)
    lineage_columns: list[str]
    key_columns: dict[str, str]
    thresholds: Thresholds
    header_required: list[str]
    financial_shapes: FinancialShapes
    value_shapes: ValueShapes
    entity_groups: dict[str, list[str]]
    header_lexicon: dict[str, list[str]]
    recognizers: RecognizerSettings


def fold_header(header: str) -> str:
    """Header as matched against the lexicon: NFKC, lower-case, separators as ``_``."""
    text = unicodedata.normalize("NFKC", header).strip().lower()
    for sep in (" ", "-", ".", "/"):
        text = text.replace(sep, "_")
    return text


@lru_cache(maxsize=1)
def _cached(mtime_key: str) -> ClassificationSettings:
    return load("classification.yaml", ClassificationSettings)


def classification_settings() -> ClassificationSettings:
    """The validated ``config/classification.yaml``."""
    from crmguard.config import config_path

    path = config_path("classification.yaml")
    key = f"{path}:{path.stat().st_mtime_ns}" if path.exists() else str(path)
    return _cached(key)
