"""The demo generator's configuration (``config/demo_data.yaml``) as a typed pydantic model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crmguard.config import load

REJECT_KINDS = (
    "ragged_row",
    "invalid_date",
    "invalid_timestamp",
    "duplicate_key",
    "undecodable_bytes",
    "malformed_json",
    "invalid_enum",
)
TRICKY_KINDS = (
    "embedded_newline",
    "fullwidth_digits",
    "crcrlf_line_end",
    "chinese_comma_or_quote",
    "alias_headers",
    "extra_columns",
)
PlantedKind = Literal[
    "ragged_row",
    "invalid_date",
    "invalid_timestamp",
    "duplicate_key",
    "undecodable_bytes",
    "malformed_json",
    "invalid_enum",
    "embedded_newline",
    "fullwidth_digits",
    "crcrlf_line_end",
    "chinese_comma_or_quote",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FixedSize(_Strict):
    minimum: int = Field(ge=1)
    per_10k_customers: float = Field(ge=0)

    def count(self, customers: int) -> int:
        return max(self.minimum, round(self.per_10k_customers * customers / 10_000))


class Normal(_Strict):
    mean: float
    sd: float = Field(gt=0)
    min: float | None = None
    max: float | None = None


class LogNormal(_Strict):
    mean: float
    sd: float = Field(gt=0)


class CustomerProfile(_Strict):
    age: Normal
    id_type_weights: dict[str, float]
    member_tier_weights: dict[str, float]
    gender_weights: dict[str, float]
    marital_status_weights: dict[str, float]
    closed_share: float = Field(ge=0, le=1)
    offshore_regions: dict[str, float]
    credit_score: Normal
    annual_income_log: LogNormal
    mobile_prefixes: list[int] = Field(min_length=1)
    unionpay_bins: list[int] = Field(min_length=1)
    email_domains: list[str] = Field(min_length=1)


class FileFormat(_Strict):
    format: Literal["csv", "jsonl"]
    encoding: Literal["utf-8", "utf-8-sig", "gb18030"]
    line_end: Literal["\n", "\r\n"]


class PlantRate(_Strict):
    rate: float = Field(ge=0, le=0.05)
    sources: list[str] = Field(min_length=1)


class PerCustomer(_Strict):
    consents: float = Field(ge=0)
    marketing_messages: float = Field(ge=0)
    orders: float = Field(ge=0)
    complaints: float = Field(ge=0)
    contracts: float = Field(ge=0)
    reviews_per_order: float = Field(ge=0, le=1)
    dsr_requests: float = Field(ge=0)


class DemoDataProfile(_Strict):
    version: int
    per_customer: PerCustomer
    fixed_sources: dict[str, FixedSize]
    history_years: int = Field(ge=1, le=30)
    offset_timestamp_share: float = Field(ge=0, le=1)
    customers: CustomerProfile
    free_text_pii_share: float = Field(ge=0, le=1)
    message_channel_weights: dict[str, float]
    sales_channel_weights: dict[str, float]
    files: dict[str, FileFormat]
    alias_header_source: str
    customer_extra_columns: list[str]
    minimum_per_file: int = Field(ge=0)
    planted: dict[PlantedKind, PlantRate]
    gps_cities: list[tuple[float, float]] = Field(min_length=1)
    phrases: dict[str, list[str]]


def demo_profile() -> DemoDataProfile:
    return load("demo_data.yaml", DemoDataProfile)
