"""Classification policy profiles as data: entity -> tier -> protection class (config/policies/).

Every later stage acts on the protection class, never on the tier label, so switching profile
(seed, jrt0171) changes report wording only. Both profiles are validated against this schema and
loaded through the one typed loader, :func:`crmguard.config.load`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from crmguard.config import ConfigError, config_path, file_sha256, load
from crmguard.stage_contracts import ProtectionClass

# the protection classes a profile may name (one enum for every stage)
Protection = ProtectionClass
DslLevel = Literal["general", "important", "core"]
GeneraliseKind = Literal[
    "surname", "email", "province_city", "year", "ipv4_prefix", "redact", "band"
]

# entities the catalog may carry that no recognizer emits
UNCLASSIFIED = "UNCLASSIFIED"
NONE = "NONE"
CUSTOMER_ID = "CUSTOMER_ID"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TierPolicy(_Strict):
    protection: Protection
    label_zh: str
    label_en: str


class DisplayMask(_Strict):
    """How a vault-tokenised value is shown to restricted readers."""

    keep_first: int = Field(default=0, ge=0)
    keep_last: int = Field(default=0, ge=0)
    mask_char: str = Field(default="*", min_length=1, max_length=1)
    geo_round_decimals: int | None = Field(default=None, ge=0, le=6)
    redact: bool = False


class Generalise(_Strict):
    """How a restricted value is generalised for analysts."""

    kind: GeneraliseKind
    prefix: int | None = Field(default=None, ge=0, le=128)
    edges: list[float] | None = None

    @model_validator(mode="after")
    def _params_fit_kind(self) -> Generalise:
        if self.kind == "band" and (not self.edges or self.edges != sorted(self.edges)):
            raise ValueError("generalise kind `band` needs ascending `edges`")
        if self.kind == "ipv4_prefix" and self.prefix is None:
            raise ValueError("generalise kind `ipv4_prefix` needs `prefix`")
        return self


class EntityPolicy(_Strict):
    tier: str
    label_zh: str
    label_en: str
    pipl_sensitive: bool
    dsl_level: DslLevel
    kyc_basis: bool = False
    # an entity whose handling differs from its tier's class (the pseudonymous customer key,
    # free text scrubbed value by value, unclassified columns dropped) says so explicitly
    protection: Protection | None = None
    scrub_free_text: bool = False
    display_mask: DisplayMask | None = None
    generalise: Generalise | None = None


class Policy(_Strict):
    profile: str
    policy_version: str
    description_zh: str
    description_en: str
    confidence_floor: float = Field(ge=0, le=1)
    tiers: dict[str, TierPolicy]
    entities: dict[str, EntityPolicy]

    _sha256: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        for required in (NONE, UNCLASSIFIED, CUSTOMER_ID):
            if required not in self.entities:
                raise ValueError(f"entity {required} must be declared")
        for name, ent in self.entities.items():
            if ent.tier not in self.tiers:
                raise ValueError(f"entity {name}: unknown tier {ent.tier!r}")
            cls = ent.protection or self.tiers[ent.tier].protection
            if cls == ProtectionClass.VAULT_TOKEN_MASK and (
                ent.display_mask is None or ent.generalise
            ):
                raise ValueError(f"entity {name}: class {cls} needs display_mask only")
            if cls == ProtectionClass.RESTRICTED_GENERALISE and (
                ent.generalise is None or ent.display_mask
            ):
                raise ValueError(f"entity {name}: class {cls} needs generalise only")
            if cls in (ProtectionClass.PASS, ProtectionClass.TOKEN_KEY, ProtectionClass.DROP) and (
                ent.generalise or ent.display_mask
            ):
                raise ValueError(f"entity {name}: class {cls} takes no mask or generalisation")
            if ent.scrub_free_text and cls != ProtectionClass.PASS:
                raise ValueError(f"entity {name}: scrub_free_text needs class pass")
        if self.entities[UNCLASSIFIED].protection != ProtectionClass.DROP:
            raise ValueError("entity UNCLASSIFIED must have protection drop (fail closed)")
        return self

    @property
    def sha256(self) -> str:
        """Content hash of the profile file this policy was loaded from."""
        return self._sha256

    def entity(self, entity: str) -> EntityPolicy:
        try:
            return self.entities[entity]
        except KeyError:
            raise KeyError(f"policy {self.profile}: unknown entity {entity!r}") from None

    def tier_of(self, entity: str) -> str:
        return self.entity(entity).tier

    def protection_of(self, entity: str) -> ProtectionClass:
        ent = self.entity(entity)
        return ent.protection or self.tiers[ent.tier].protection


def policy_file(profile: str) -> str:
    return f"policies/{profile}.yaml"


def available_profiles() -> list[str]:
    return sorted(p.stem for p in config_path("policies").glob("*.yaml"))


@lru_cache(maxsize=8)
def _load_cached(profile: str, sha: str) -> Policy:
    policy = load(policy_file(profile), Policy)
    if policy.profile != profile:
        raise ConfigError(
            f"{config_path(policy_file(profile))}: profile is {policy.profile!r}, "
            f"expected {profile!r} (file name)"
        )
    policy._sha256 = sha
    return policy


def load_policy(profile: str = "seed") -> Policy:
    """Load and validate ``config/policies/<profile>.yaml``."""
    if not config_path(policy_file(profile)).is_file():
        raise ConfigError(
            f"unknown policy profile {profile!r}; available: {', '.join(available_profiles())}"
        )
    return _load_cached(profile, file_sha256(policy_file(profile)))
