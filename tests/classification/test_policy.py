"""Both policy profiles load, validate, and give every entity the same protection class."""

from __future__ import annotations

import pytest

from classification.engine import SUPPORTED_ENTITIES
from classification.policy import Policy, load_policy
from crmguard.config import ConfigError


@pytest.fixture(scope="module")
def profiles() -> tuple[Policy, Policy]:
    return load_policy("seed"), load_policy("jrt0171")


def test_profiles_cover_every_recognizer_entity(profiles: tuple[Policy, Policy]) -> None:
    for policy in profiles:
        assert set(SUPPORTED_ENTITIES) <= set(policy.entities)
        assert len(policy.sha256) == 64


def test_same_protection_class_in_both_profiles(profiles: tuple[Policy, Policy]) -> None:
    seed, jrt = profiles
    assert set(seed.entities) == set(jrt.entities)
    for entity in seed.entities:
        assert seed.protection_of(entity) == jrt.protection_of(entity), entity


def test_tiers_follow_each_standard(profiles: tuple[Policy, Policy]) -> None:
    seed, jrt = profiles
    assert seed.tier_of("CN_RESIDENT_ID") == "C1" and seed.tier_of("CN_USCC") == "C3"
    assert jrt.tier_of("CN_RESIDENT_ID").startswith("C2") and jrt.tier_of("CREDENTIAL") == "C3"
    assert seed.protection_of("CN_RESIDENT_ID") == "vault_token_mask"
    assert seed.protection_of("PERSON_NAME") == "restricted_generalise"
    assert seed.protection_of("CUSTOMER_ID") == "token_key"
    assert seed.protection_of("UNCLASSIFIED") == "drop"
    free = seed.entity("FREE_TEXT_PII")
    assert seed.protection_of("FREE_TEXT_PII") == "pass" and free.scrub_free_text


def test_schema_rejects_a_vault_entity_without_mask(profiles: tuple[Policy, Policy]) -> None:
    data = profiles[0].model_dump()
    data["entities"]["BANK_CARD"]["display_mask"] = None
    with pytest.raises(ValueError, match="BANK_CARD"):
        Policy.model_validate(data)


def test_unknown_profile_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="available: jrt0171, seed"):
        load_policy("nope")
