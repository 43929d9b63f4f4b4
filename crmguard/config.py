"""The one typed loader for CRM Guard's versioned YAML configuration (``config/``).

Every stage reads configuration through :func:`load`, which validates a YAML file against a
pydantic model. The models for the foundation's files live here; later stages define their own
model next to the code that uses it and still load it through :func:`load`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from crmguard.paths import layout

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A configuration file is missing or does not match its schema."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def config_path(name: str) -> Path:
    return layout().config / name


@lru_cache(maxsize=64)
def _read(path: Path, mtime_ns: int) -> object:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load(name: str, model: type[M]) -> M:
    """Load ``config/<name>`` and validate it against ``model``; errors name the file."""
    path = config_path(name)
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    data = _read(path, path.stat().st_mtime_ns)
    try:
        return model.model_validate(data)
    except Exception as exc:  # pydantic.ValidationError, with the file named
        raise ConfigError(f"{path}: {exc}") from exc


def file_sha256(name: str) -> str:
    """Content hash of a config file (recorded with every run and publish)."""
    return hashlib.sha256(config_path(name).read_bytes()).hexdigest()


# -- landing contract ----------

ColumnType = Literal[
    "identifier", "enum", "text", "date", "timestamp", "decimal", "integer", "boolean"
]


class ContractColumn(Strict):
    type: ColumnType
    required: bool = False
    values: list[str] | None = None
    case: Literal["lower", "upper"] = "lower"
    min: int | None = None
    max: int | None = None

    @model_validator(mode="after")
    def _enum_has_values(self) -> ContractColumn:
        if self.type == "enum" and not self.values:
            raise ValueError("enum column needs `values`")
        return self


class SourceContract(Strict):
    key: str
    order_by: str | None = None
    columns: dict[str, ContractColumn]
    aliases: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _refs_exist(self) -> SourceContract:
        for ref in (self.key, self.order_by):
            if ref is not None and ref not in self.columns:
                raise ValueError(f"`{ref}` is not a column of this source")
        for alias, target in self.aliases.items():
            if target not in self.columns:
                raise ValueError(f"alias {alias!r} maps to unknown column {target!r}")
        return self

    def canonical(self, header: str) -> str:
        """Canonical column name for a delivered header (aliases, case and spaces folded)."""
        h = header.strip()
        if h in self.columns:
            return h
        if h in self.aliases:
            return self.aliases[h]
        low = h.lower().replace(" ", "_")
        if low in self.columns:
            return low
        return self.aliases.get(low, h)


class LandingContract(Strict):
    version: int
    timezone: str
    sources: dict[str, SourceContract]


def landing_contract() -> LandingContract:
    return load("landing_contract.yaml", LandingContract)


# -- organisation ----------


class Organisation(Strict):
    version: int
    name: str
    critical_information_infrastructure_operator: bool
    financial_institution: bool
    sector: str
    go_live_date: dt.date
    timezone: str
    mainland_regions: list[str]
    # regions known to be outside the mainland (HK, Macao, Taiwan, abroad): `crmguard doctor`
    # flags a region in neither list, which is usually a typo or a new data centre
    foreign_regions: list[str] = []


def organisation() -> Organisation:
    return load("organisation.yaml", Organisation)


# -- ingestion ----------


class IngestionPolicy(Strict):
    version: int
    strict_encodings: list[str]
    quarantine_rate_warning: float = Field(ge=0, le=1)
    progress_every_seconds: float = Field(gt=0)


def ingestion_policy() -> IngestionPolicy:
    return load("ingestion.yaml", IngestionPolicy)


# -- field purposes ----------

Purpose = Literal[
    "service", "marketing", "risk_control", "legal_obligation", "customer_care", "analytics"
]


class FieldPurposes(Strict):
    version: int
    sources: dict[str, dict[str, list[Purpose]]]

    def purposes(self, source: str, column: str) -> list[str]:
        """Declared purposes; empty when none is declared (a DATA-01 finding)."""
        return list(self.sources.get(source, {}).get(column, []))


def field_purposes() -> FieldPurposes:
    return load("field_purposes.yaml", FieldPurposes)


# -- working-day calendar ----------


class WorkingCalendar(Strict):
    version: int
    covered_years: list[int]
    holidays: list[tuple[dt.date, dt.date]]
    makeup_workdays: list[dt.date]

    @model_validator(mode="after")
    def _ranges_ordered(self) -> WorkingCalendar:
        for start, end in self.holidays:
            if end < start:
                raise ValueError(f"holiday range {start}..{end} ends before it starts")
        return self

    def is_working_day(self, day: dt.date) -> bool:
        if day.year not in self.covered_years:
            raise ConfigError(f"calendar.yaml does not cover {day.year}")
        if day in self.makeup_workdays:
            return True
        if any(start <= day <= end for start, end in self.holidays):
            return False
        return day.weekday() < 5

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after ``day`` (``day`` itself is not counted)."""
        current, counted = day, 0
        while counted < n:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                counted += 1
        return current


def working_calendar() -> WorkingCalendar:
    return load("calendar.yaml", WorkingCalendar)


# -- compliance rule pack ----------

Severity = Literal["critical", "high", "medium", "low"]


class Bilingual(Strict):
    zh: str
    en: str


class RuleDefinition(Strict):
    """One rule of the pack: the one place that names it (docs, dbt checks list, report and the
    generator's planters are derived from these entries)."""

    area: Bilingual
    title: Bilingual
    grain: str  # one finding = (display text, as the rule pack says it)
    # the finding's subject_type (an identifier: findings, planted manifests, evidence packs)
    subject_type: str = Field(pattern=r"^[a-z][a-z_]*$")
    # what the rule reads: sources and configuration beyond its own parameters (docs, doctor)
    inputs: list[str] = []
    # the rule model's column holding the subject, and a filter when one model holds several
    # kinds of record (SQL over the model aliased `rule_model`)
    subject_column: str = "subject"
    population: str | None = None
    # what a finding's `subject` holds (a token or system id, never a clear identifier)
    subject: str | None = None
    severity: Severity
    basis: Literal["law", "policy", "law+policy"]
    reference: str
    model: str | None  # the dbt model that evaluates it (None: not evaluated from data)
    evaluated: bool = True
    # what the rule judges: the landing extract (demo data plants violations of it) or the
    # platform's own access log (FIN-01, crmguard.rights)
    data_source: Literal["landing", "access_log"] = "landing"


class Data03(Strict):
    art40_individuals: int = Field(gt=0)
    sources: list[str]


class MechanismThreshold(Strict):
    ordinary_individuals: int = Field(gt=0)
    sensitive_individuals: int = Field(gt=0)


class Data04(Strict):
    exempt_bases: list[str]
    security_assessment: MechanismThreshold
    standard_contract: MechanismThreshold
    satisfies: dict[Literal["security_assessment", "standard_contract_or_certification"], list[str]]


class Data05(Strict):
    deadline_working_days: int = Field(gt=0)
    rejection_needs_reason: bool
    deletion_request_type: str
    non_personal_entities: list[str]


class Data06(Strict):
    required_purpose: Purpose


class Cons01(Strict):
    channels_file: str


class Cons02(Strict):
    minimum_age: int = Field(gt=0)
    guardian_purpose: str


class Cons03(Strict):
    consent_purpose: str
    exclude_kyc_basis: bool


class Mkt01(Strict):
    absolute_terms: list[str] = Field(min_length=1)
    allowed_phrases: list[str]


class Mkt02(Strict):
    unsubscribe_required_channels: list[str]


class Mkt03(Strict):
    tolerance_cny: float = Field(ge=0)
    member_tier_factors: dict[str, float]
    promo_code_factors: dict[str, float]


class Mkt04(Strict):
    order_retention_years: int = Field(gt=0)
    message_retention_years: int = Field(gt=0)


class Mkt05(Strict):
    per_visit_limit_cny: dict[str, float]
    invoice_required: bool


class Cus01(Strict):
    first_response_hours: dict[Literal["high", "medium", "low"], float]
    resolution_needs_confirmation: bool


class Cus02(Strict):
    remote_channels: list[str]
    window_days: int = Field(gt=0)
    always_valid_reasons: list[str]
    category_exceptions: dict[str, str]


class Cus03(Strict):
    regulator_levels: list[str]
    regulator_hours: float = Field(gt=0)
    regulator_hours_ciio: float = Field(gt=0)
    customer_notice_hours: float = Field(gt=0)


class Cus04(Strict):
    max_negative_rating: int = Field(ge=1, le=5)
    moderated_statuses: list[str]
    invalid_reasons: list[str]


class Con01(Strict):
    unfair_clauses: list[str] = Field(min_length=1)


class Con02(Strict):
    method: str


class Con03(Strict):
    retention_years: int = Field(gt=0)


class Con04(Strict):
    acceptance_days: int = Field(gt=0)


class RuleParameters(Strict):
    data_03: Data03
    data_04: Data04
    data_05: Data05
    data_06: Data06
    cons_01: Cons01
    cons_02: Cons02
    cons_03: Cons03
    mkt_01: Mkt01
    mkt_02: Mkt02
    mkt_03: Mkt03
    mkt_04: Mkt04
    mkt_05: Mkt05
    cus_01: Cus01
    cus_02: Cus02
    cus_03: Cus03
    cus_04: Cus04
    con_01: Con01
    con_02: Con02
    con_03: Con03
    con_04: Con04


class RetentionWarnings(Strict):
    closed_customer_max_days: int = Field(gt=0)


class ComplianceRules(Strict):
    version: int
    pack_version: str
    rules: dict[str, RuleDefinition]
    parameters: RuleParameters
    retention_warnings: RetentionWarnings

    @model_validator(mode="after")
    def _rule_ids(self) -> ComplianceRules:
        import re

        bad = [r for r in self.rules if not re.fullmatch(r"[A-Z]{3,4}-\d{2}", r)]
        if bad:
            raise ValueError(f"rule ids must look like DATA-01: {bad}")
        return self

    def params(self, rule_id: str) -> BaseModel | None:
        """The parameter block of a rule (``DATA-05`` -> ``parameters.data_05``), if any."""
        return getattr(self.parameters, rule_id.lower().replace("-", "_"), None)


def compliance_rules() -> ComplianceRules:
    return load("rules.yaml", ComplianceRules)
