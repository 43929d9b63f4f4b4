"""Signed certificates of deletions and retention purges, and their one-command verification.

A certificate is a JSON document (per location: action, row counts, SHA-256 of the partition
before and after) signed with an Ed25519 key derived from the keyring
(``crmguard.key_store.certificate_signing_key``); it embeds the public key and the key version.
Verification checks the signature over the canonical JSON and that the public key is the
keyring's (or the one an auditor was handed: ``--public-key``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from crmguard import key_store
from crmguard.evidence import sha256_hex
from crmguard.paths import SHARED_DIR_MODE, SHARED_FILE_MODE, ensure_dir, layout
from crmguard.rights.access_log import canonical

SIGNATURE_FIELDS = ("key_version", "public_key", "signature")


def _public_hex(private_key) -> str:
    from cryptography.hazmat.primitives import serialization

    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        .hex()
    )


def sign(document: dict) -> dict:
    """``document`` plus key version, public key and Ed25519 signature of its canonical form."""
    version, key = key_store.certificate_signing_key()
    body = {k: v for k, v in document.items() if k not in SIGNATURE_FIELDS}
    body["key_version"] = version
    body["public_key"] = _public_hex(key)
    return {**body, "signature": key.sign(canonical(body)).hex()}


def write(document: dict, name: str) -> Path:
    """Sign and write ``reports/certificates/<name>.json`` (auditors read it: tokens only)."""
    lay = layout()
    ensure_dir(lay.reports, SHARED_DIR_MODE)
    folder = ensure_dir(lay.certificates, SHARED_DIR_MODE)
    path = folder / f"{name}.json"
    tmp = folder / f".{name}.tmp"
    tmp.write_text(json.dumps(sign(document), ensure_ascii=False, indent=2), encoding="utf-8")
    os.chmod(tmp, SHARED_FILE_MODE)
    os.replace(tmp, path)
    return path


def file_sha256(path: Path) -> str:
    return sha256_hex(path.read_bytes())


def verify(path: Path, public_key: str | None = None) -> list[str]:
    """Problems of a certificate (empty when its signature verifies under the expected key)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        signature = bytes.fromhex(doc["signature"])
        embedded = doc["public_key"]
        version = int(doc["key_version"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{path}: not a readable certificate ({type(exc).__name__})"]
    if public_key is None:
        try:
            _, key = key_store.certificate_signing_key(version)
        except key_store.KeyringError as exc:
            return [f"{path}: cannot derive the expected public key ({exc}); pass --public-key"]
        public_key = _public_hex(key)
    problems = []
    if embedded != public_key:
        problems.append(f"{path}: signed by a key that is not the expected one ({embedded[:16]}…)")
    body = {k: v for k, v in doc.items() if k != "signature"}
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(
            signature, canonical(body)
        )
    except (InvalidSignature, ValueError):
        problems.append(f"{path}: signature does not match the content (edited)")
    return problems
