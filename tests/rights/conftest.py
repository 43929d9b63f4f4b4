"""A keyring, the hand-made lake and three approvers with fresh Ed25519 keys per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crmguard import key_store
from crmguard.rights.policy import Approver, RightsPolicy, rights_policy
from tests.rights.lake_fixture import build_lake

ROLES = {
    "chen.compliance": "compliance",
    "liu.lead": "division_lead",
    "he.compliance": "compliance",
}


@pytest.fixture
def lake(crmguard_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(key_store.KEY_FILE_ENV, raising=False)
    key_store.ensure_dev_keyring()
    build_lake(crmguard_home)
    return crmguard_home


@pytest.fixture
def approver_keys(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for name in ROLES:
        key = Ed25519PrivateKey.generate()
        path = tmp_path / f"{name}.pem"
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        paths[name] = path
    return paths


@pytest.fixture
def policy(approver_keys: dict[str, Path]) -> RightsPolicy:
    base = rights_policy()
    approvers = {}
    for name, path in approver_keys.items():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        public = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        approvers[name] = Approver(role=ROLES[name], public_key=public.hex())
    unmask = base.unmask.model_copy(update={"approvers": approvers})
    return base.model_copy(update={"unmask": unmask})
