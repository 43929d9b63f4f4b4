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


class ViolationSettings(_Strict):
    """How many violations each rule planter plants: a share of the rule's units, at least a few."""

    minimum: int = Field(ge=1)
    # rule id -> share of the rule's units (messages, orders, customers, ...) planted
    rates: dict[str, float]
    # DATA-01: contract columns without a declared purpose filled for some customers, and extra
    # columns (not in the contract, no declared purpose) the batch gains
    data_01_filled_columns: list[str]
    data_01_extra_columns: list[str]
    # DATA-02: an extra customers column whose values no recogniser can name
    data_02_column: str
    # DATA-01 / DATA-02 planted columns are filled for this share of customers
    extra_column_fill_share: float = Field(gt=0, le=1)
    # CUS-02 violation: a rejection reason that is never a valid one
    invalid_return_reason: str
    # MKT-01: wording wrapped around a planted absolute term, and the allowed-phrase near-miss
    absolute_claim_template: str
    allowed_phrase_message: str
    lookalike_message: str
    campaign_claim_name: str
    # CON-01: template clause near-miss (fair wording close to an unfair clause)
    fair_clause: str
    # DATA-04: destination countries for the planted transfers
    transfer_countries: list[str] = Field(min_length=2)


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
    # customer-linked sources that get at least this many rows (room for rule planting)
    minimum_rows: dict[str, int]
    # the entity each generated column is meant to be (source -> column -> entity of the
    # classification policy); planting decides by it, never by running the classifier
    column_entities: dict[str, dict[str, str]]
    violations: ViolationSettings


def demo_profile() -> DemoDataProfile:
    return load("demo_data.yaml", DemoDataProfile)
