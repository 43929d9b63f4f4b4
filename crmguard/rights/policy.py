"""The rights policy (``config/rights.yaml``): approvers and grants, DSR settings, retention."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from crmguard.config import Bilingual, ConfigError, Strict, compliance_rules, load


class Approver(Strict):
    role: str
    public_key: str = Field(pattern=r"^[0-9a-f]{64}$")  # raw Ed25519, hex


class UnmaskPolicy(Strict):
    required_roles: list[str] = Field(min_length=2)
    grant_hours: float = Field(gt=0)
    purposes: list[str] = Field(min_length=1)
    approvers: dict[str, Approver]

    @model_validator(mode="after")
    def _distinct_keys(self) -> UnmaskPolicy:
        keys = [a.public_key for a in self.approvers.values()]
        if len(keys) != len(set(keys)):
            raise ValueError("two approvers share one public key")
        if len(set(self.required_roles)) != len(self.required_roles):
            raise ValueError("required_roles lists a role twice")
        return self


class DsrPolicy(Strict):
    recipients: list[Bilingual]
    access_types: list[str]
    deletion_types: list[str]
    correction_types: list[str]


class SourceRetention(Strict):
    date_column: str
    purpose: str
    min_years: int | None = Field(default=None, ge=0)
    minimum_from: str | None = None  # "<rule parameter block>.<field>", e.g. con_03.retention_years
    max_years: int = Field(gt=0)
    law: Bilingual

    @model_validator(mode="after")
    def _one_minimum(self) -> SourceRetention:
        if (self.min_years is None) == (self.minimum_from is None):
            raise ValueError("give exactly one of min_years and minimum_from")
        return self

    def minimum_years(self) -> int:
        if self.min_years is not None:
            return self.min_years
        block, _, name = (self.minimum_from or "").partition(".")
        params = getattr(compliance_rules().parameters, block, None)
        value = getattr(params, name, None)
        if not isinstance(value, int):
            raise ConfigError(
                f"rights.yaml: minimum_from {self.minimum_from!r} is no rule parameter"
            )
        return value


class LegalHold(Strict):
    case_id: str
    reason: str
    customer_token: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    source: str | None = None
    until: dt.date | None = None

    @model_validator(mode="after")
    def _scoped(self) -> LegalHold:
        if self.customer_token is None and self.source is None:
            raise ValueError(f"legal hold {self.case_id}: name a customer_token, a source or both")
        return self

    def active(self, as_of: dt.date) -> bool:
        return self.until is None or as_of <= self.until


class RetentionPolicy(Strict):
    sources: dict[str, SourceRetention]
    legal_holds: list[LegalHold]

    @model_validator(mode="after")
    def _never_inside_minimum(self) -> RetentionPolicy:
        for source, rule in self.sources.items():
            if rule.min_years is not None and rule.max_years < rule.min_years:
                raise ValueError(f"{source}: max_years {rule.max_years} is inside the minimum")
        return self


class RightsPolicy(Strict):
    version: int
    unmask: UnmaskPolicy
    dsr: DsrPolicy
    retention: RetentionPolicy

    @model_validator(mode="after")
    def _roles_staffed(self) -> RightsPolicy:
        roles = {a.role for a in self.unmask.approvers.values()}
        missing = [r for r in self.unmask.required_roles if r not in roles]
        if self.unmask.approvers and missing:
            raise ValueError(f"no approver holds the required role(s) {missing}")
        return self


def rights_policy() -> RightsPolicy:
    policy = load("rights.yaml", RightsPolicy)
    for source, rule in policy.retention.sources.items():
        if rule.max_years < rule.minimum_years():
            raise ConfigError(f"rights.yaml: {source}: max_years is inside the minimum")
    return policy


def years_before(day: dt.date, years: int) -> dt.date:
    """``day`` minus whole calendar years (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
