"""The typed stage hand-offs: catalog and protection manifest round trips, errors naming file and
field, and the on-disk text the stages wrote before the models (existing lakes still read)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmguard.stage_contracts import (
    PERSONAL_CLASSES,
    PROTECTION_JSON,
    PROTECTIVE_FORMS,
    Catalog,
    ProtectionClass,
    ProtectionManifest,
    ProtectiveForm,
    StageContractError,
    read_catalog,
    read_protection_manifest,
    write_catalog,
    write_protection_manifest,
)

# a catalog as classification/catalog.py wrote it before the model (sorted keys, indent 2)
CATALOG_DOC = {
    "batch_date": "2026-11-20",
    "classifier_sha256": "c" * 64,
    "generated_at": "2026-11-20T01:02:03+00:00",
    "policy_sha256": "p" * 64,
    "policy_version": "2026.1",
    "profile": "seed",
    "tables": {
        "customers": {
            "mobile": {
                "confidence": 0.98,
                "entity": "CN_MOBILE",
                "evidence": [
                    {
                        "agrees": True,
                        "detail": "header 'mobile' matches lexicon term 'mobile' (CN_MOBILE)",
                        "kind": "header",
                        "strength": 0.9,
                    },
                    {
                        "detail": "197 of 200 sampled values are CN_MOBILE",
                        "kind": "values",
                        "share": 0.985,
                    },
                ],
                "in_contract": True,
                "masked": False,
                "match_ratio": 0.985,
                "new": False,
                "pipl_sensitive": False,
                "protection": "vault_token_mask",
                "reason": "values: 98% CN_MOBILE",
                "sample_size": 200,
                "source": "values",
                "tier": "C1",
            },
            "wechat_id": {
                "confidence": 0.2,
                "entity": "UNCLASSIFIED",
                "evidence": [{"detail": "no recognizer matched", "kind": "values"}],
                "in_contract": False,
                "masked": False,
                "match_ratio": 0.0,
                "new": True,
                "pipl_sensitive": False,
                "protection": "drop",
                "reason": "no recognizer matched",
                "sample_size": 0,
                "source": "values",
                "tier": "C2",
            },
        }
    },
}

MANIFEST_DOC = {
    "zone": "protected",
    "source": "customers",
    "batch_date": "2026-11-20",
    "policy_profile": "seed",
    "policy_version": "2026.1",
    "policy_sha256": "p" * 64,
    "key_version": 1,
    "columns": {
        "mobile": {
            "outputs": ["mobile_token", "mobile_mask"],
            "form": "token",
            "entity": "CN_MOBILE",
            "tier": "C1",
            "protection": "vault_token_mask",
        },
        "wechat_id": {
            "outputs": [],
            "form": "dropped",
            "entity": "UNCLASSIFIED",
            "tier": "—",
            "protection": "drop",
        },
    },
}


def _write(path: Path, doc: dict, **dump: object) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False, **dump), encoding="utf-8")
    return path


def test_catalog_round_trip_keeps_the_bytes_on_disk(tmp_path: Path) -> None:
    legacy = _write(tmp_path / "catalog.json", CATALOG_DOC, indent=2, sort_keys=True)
    catalog = read_catalog(legacy)
    mobile = catalog.tables["customers"]["mobile"]
    assert mobile.protection is ProtectionClass.VAULT_TOKEN_MASK
    assert mobile.evidence[0].agrees is True and mobile.evidence[1].share == 0.985
    assert catalog.generated_at is not None and catalog.generated_at.tzinfo is not None
    rewritten = write_catalog(catalog, tmp_path / "again.json")
    assert rewritten.read_bytes() == legacy.read_bytes()
    assert read_catalog(rewritten) == catalog


def test_catalog_before_evidence_reads_with_an_empty_list(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(CATALOG_DOC))
    del doc["tables"]["customers"]["mobile"]["evidence"]
    catalog = read_catalog(_write(tmp_path / "catalog.json", doc))
    assert catalog.tables["customers"]["mobile"].evidence == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda d: d["tables"]["customers"]["mobile"].update(protection="vault"),
            "mobile.protection",
        ),
        (lambda d: d["tables"]["customers"]["mobile"].update(colour="red"), "mobile.colour"),
        (lambda d: d["tables"]["customers"]["wechat_id"].pop("tier"), "wechat_id.tier"),
        (lambda d: d["tables"]["customers"]["mobile"].update(confidence=1.5), "mobile.confidence"),
        (lambda d: d.update(batch_date="20261120"), "batch_date"),
        (lambda d: d.pop("tables"), "tables"),
    ],
)
def test_malformed_catalog_names_file_and_field(tmp_path: Path, change, field: str) -> None:
    doc = json.loads(json.dumps(CATALOG_DOC))
    change(doc)
    path = _write(tmp_path / "catalog.json", doc)
    with pytest.raises(StageContractError, match=rf"catalog\.json: malformed catalog: .*{field}"):
        read_catalog(path)


def test_catalog_that_is_not_json_or_missing_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    with pytest.raises(StageContractError, match=r"catalog\.json: catalog not found"):
        read_catalog(path)
    path.write_text('{"tables": \n oops}', encoding="utf-8")
    with pytest.raises(StageContractError, match=r"catalog\.json: line 2: not valid JSON"):
        read_catalog(path)
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(StageContractError, match=r"catalog\.json: catalog must be a JSON object"):
        read_catalog(path)


def test_catalog_write_is_atomic_and_sets_the_mode(tmp_path: Path) -> None:
    catalog = Catalog.model_validate(CATALOG_DOC)
    path = write_catalog(catalog, tmp_path / "catalog.json", mode=0o644)
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["catalog.json"]  # no temporary left


def test_manifest_round_trip_keeps_the_bytes_on_disk(tmp_path: Path) -> None:
    legacy = _write(tmp_path / PROTECTION_JSON, MANIFEST_DOC, indent=2)
    manifest = read_protection_manifest(legacy)
    assert manifest.form_of("wechat_id") is ProtectiveForm.DROPPED
    assert manifest.outputs_of("mobile") == ["mobile_token", "mobile_mask"]
    assert manifest.outputs_of("not_there") == [] and manifest.form_of("not_there") is None
    rewritten = write_protection_manifest(manifest, tmp_path / "again.json")
    assert rewritten.read_bytes() == legacy.read_bytes()


def test_pipeline_table_manifest_has_no_key_version(tmp_path: Path) -> None:
    doc = {k: v for k, v in MANIFEST_DOC.items() if k != "key_version"}
    manifest = ProtectionManifest.model_validate(doc)
    path = write_protection_manifest(manifest, tmp_path / PROTECTION_JSON)
    assert "key_version" not in json.loads(path.read_text(encoding="utf-8"))
    assert read_protection_manifest(path).key_version is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["columns"]["mobile"].update(form="hashed"), "columns.mobile.form"),
        (lambda d: d["columns"]["mobile"].pop("outputs"), "columns.mobile.outputs"),
        (lambda d: d.update(zone="vault"), "zone"),
        (lambda d: d.update(batch_date="../etc"), "batch_date"),
        (lambda d: d.update(extra=1), "extra"),
    ],
)
def test_malformed_manifest_names_file_and_field(tmp_path: Path, change, field: str) -> None:
    doc = json.loads(json.dumps(MANIFEST_DOC))
    change(doc)
    path = _write(tmp_path / PROTECTION_JSON, doc)
    with pytest.raises(
        StageContractError, match=rf"_protection\.json: malformed protection manifest: {field}"
    ):
        read_protection_manifest(path)


def test_enums_compare_equal_to_the_strings_on_disk() -> None:
    # YAML policies, dbt meta and SQL carry the plain strings
    assert ProtectionClass.DROP == "drop" and ProtectiveForm.CLEAR == "clear"
    # plain strings read from YAML or SQL find the members in sets and dicts
    assert "token" in PROTECTIVE_FORMS and "clear" not in PROTECTIVE_FORMS
    assert "restricted_generalise" in PERSONAL_CLASSES and "pass" not in PERSONAL_CLASSES
    assert {p.value for p in ProtectionClass} == {
        "vault_token_mask",
        "restricted_generalise",
        "pass",
        "token_key",
        "drop",
    }
    assert json.dumps(Catalog.model_validate(CATALOG_DOC).as_json()).count('"drop"') == 1
