"""Key material for the protect stage: key file, key versions, per-customer salts, crypto-shred.

The master key file's path comes from ``CRMGUARD_KEY_FILE`` (an Airflow connection or secrets
backend in production); without it the development keyring ``<secrets>/keyring.json`` (0600) is
used. Each key version holds one random master key; the tokenisation key and the vault key are
derived from it, so rotating the version rotates both. The per-customer salts live in
``<secrets>/salts/`` (Parquet, 0700/0600): the vault data key of a customer is
HMAC(vault key, salt), so deleting that customer's salt makes every vault entry of theirs
unreadable (crypto-shredding). This module is also the Python reference of the Spark job's
normalisation and token (tests and look-ups), so both must stay in step with
``spark_jobs.protect.transforms``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from crmguard.paths import PRIVATE_FILE_MODE, ensure_private_dir, layout

KEY_FILE_ENV = "CRMGUARD_KEY_FILE"
# labels that separate the keys derived from one master key (domain separation)
_TOKEN_LABEL = b"crmguard/token/v1"
_VAULT_LABEL = b"crmguard/vault/v1"
_SALT_INDEX_LABEL = b"crmguard/salt-index/v1"
_ACCESS_LOG_LABEL = b"crmguard/access-log/v1"
_CERTIFICATE_LABEL = b"crmguard/certificate/v1"
SALT_BYTES = 16
HMAC_BLOCK = 64  # SHA-256 block size: the HMAC pads are this long


class KeyringError(RuntimeError):
    """The key file is missing, unreadable or malformed (the message never contains key bytes)."""


class ShreddedError(KeyError):
    """The customer's salt is gone: their vault entries can no longer be decrypted."""


# -- key file --------------------------------------------------------------------------------


def key_file() -> Path:
    env = os.environ.get(KEY_FILE_ENV)
    return Path(env).expanduser() if env else layout().secrets / "keyring.json"


def salt_store() -> Path:
    """Per-customer salts; beside the key file so one secret location holds all key material."""
    return key_file().parent / "salts"


def _new_version(version: int) -> dict[str, str]:
    return {
        "master": secrets.token_hex(32),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _write_private(path: Path, document: dict) -> None:
    ensure_private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(document, fh, indent=2)
    os.chmod(tmp, PRIVATE_FILE_MODE)
    os.replace(tmp, path)


def ensure_dev_keyring() -> Path:
    """Create the development keyring (0600) if it is absent; never overwrite one."""
    path = key_file()
    if path.exists():
        return path
    salt_index = secrets.token_hex(32)
    _write_private(
        path, {"active_version": 1, "salt_index": salt_index, "keys": {"1": _new_version(1)}}
    )
    return path


def _read_document() -> dict:
    path = key_file()
    if not path.is_file():
        raise KeyringError(
            f"{path}: key file not found (run `crmguard keys init` or set {KEY_FILE_ENV})"
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        int(doc["active_version"])
        bytes.fromhex(doc["salt_index"])
        for version in doc["keys"].values():
            if len(bytes.fromhex(version["master"])) != 32:
                raise ValueError("master key is not 32 bytes")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        # the exception text of a hex parse could quote key bytes: name the file and reason only
        raise KeyringError(f"{path}: malformed key file ({type(exc).__name__})") from None
    return doc


def rotate() -> int:
    """Add a new key version and make it active; returns the new version number."""
    doc = _read_document()
    new = max(int(v) for v in doc["keys"]) + 1
    doc["keys"][str(new)] = _new_version(new)
    doc["active_version"] = new
    _write_private(key_file(), doc)
    return new


@dataclass(frozen=True)
class KeyVersion:
    """The keys derived from one master key version. ``repr`` never shows key bytes."""

    version: int
    token_key: bytes
    vault_key: bytes
    salt_index_key: bytes

    def __repr__(self) -> str:
        return f"KeyVersion(version={self.version}, keys=<redacted>)"

    __str__ = __repr__


def _derive(master: bytes, label: bytes) -> bytes:
    return hmac.new(master, label, hashlib.sha256).digest()


def key_version(version: int | None = None) -> KeyVersion:
    """The active key version (or ``version``), read from the key file."""
    doc = _read_document()
    number = int(version if version is not None else doc["active_version"])
    entry = doc["keys"].get(str(number))
    if entry is None:
        raise KeyringError(f"{key_file()}: no key version {number}")
    master = bytes.fromhex(entry["master"])
    # the salt index never rotates: a customer keeps one salt across token key versions
    salt_index_key = _derive(bytes.fromhex(doc["salt_index"]), _SALT_INDEX_LABEL)
    return KeyVersion(
        number, _derive(master, _TOKEN_LABEL), _derive(master, _VAULT_LABEL), salt_index_key
    )


def _master_of(version: int | None) -> tuple[int, bytes]:
    doc = _read_document()
    number = int(version if version is not None else doc["active_version"])
    entry = doc["keys"].get(str(number))
    if entry is None:
        raise KeyringError(f"{key_file()}: no key version {number}")
    return number, bytes.fromhex(entry["master"])


def key_versions() -> list[int]:
    """Every key version in the key file (tokens made under any of them may still exist)."""
    return sorted(int(v) for v in _read_document()["keys"])


def access_log_key(version: int | None = None) -> tuple[int, bytes]:
    """(version, key) that MACs access-log entries: rewriting the whole chain needs it."""
    number, master = _master_of(version)
    return number, _derive(master, _ACCESS_LOG_LABEL)


def certificate_signing_key(version: int | None = None):  # -> (int, Ed25519PrivateKey)
    """(version, Ed25519 private key) that signs deletion and purge certificates; derived from
    the master key, so its public half can be handed to auditors and re-derived to verify."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    number, master = _master_of(version)
    return number, Ed25519PrivateKey.from_private_bytes(_derive(master, _CERTIFICATE_LABEL))


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """(key XOR ipad, key XOR opad): lets Spark compose HMAC-SHA256 from native ``sha2``."""
    block = key.ljust(HMAC_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


# -- normalisation (Python reference of transforms.normalise) --------------------------------

# The canonical form is defined by these tables, not by NFKC: Spark has no native NFKC, and a
# partial one disagreed with Python's on U+00A0 and other spaces. Both sides apply exactly
# this: full-width ASCII (U+FF01–FF5E) → ASCII, every other Unicode space (U+00A0, U+2000–200A
# incl. U+2007, U+202F, U+205F, U+3000, …; ``str.isspace``) → U+0020, zero-width characters
# deleted; then ASCII whitespace is trimmed or deleted per entity. Spark does it in one
# native ``translate``.
ASCII_WHITESPACE = " \t\n\x0b\f\r"  # Java regex \s
UNICODE_SPACES = "".join(
    chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) not in ASCII_WHITESPACE
)
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
FOLD_FROM = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + UNICODE_SPACES
FOLD_TO = "".join(chr(c) for c in range(0x21, 0x7F)) + " " * len(UNICODE_SPACES)
_FOLD = {**str.maketrans(FOLD_FROM, FOLD_TO), **{ord(c): None for c in ZERO_WIDTH}}
_ID_SEPARATORS = re.compile(r"[ \t\n\x0b\f\r\-]")
_MOBILE_SEPARATORS = re.compile(r"[ \t\n\x0b\f\r\-()]")
_WHITESPACE = re.compile(r"[ \t\n\x0b\f\r]")
_MOBILE_PREFIX = re.compile(r"^(?:\+86|0086|86)(?=1\d{10}$)")


_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def normalise(value: str, entity: str | None = None) -> str:
    """The canonical form that is tokenised, so one value from two sources gives one token.
    Case folding is ASCII only (IDs upper, emails lower): Java's and Python's Unicode case
    tables differ between versions, and IDs and email domains are ASCII."""
    text = value.translate(_FOLD)
    if entity in ("CN_RESIDENT_ID", "CN_PASSPORT", "CN_TRAVEL_PERMIT", "BANK_CARD", "CUSTOMER_ID"):
        return _ID_SEPARATORS.sub("", text).translate(_ASCII_UPPER)
    if entity == "CN_MOBILE":
        return _MOBILE_PREFIX.sub("", _MOBILE_SEPARATORS.sub("", text))
    if entity == "GEO_LOCATION":
        return _WHITESPACE.sub("", text)
    text = text.strip(ASCII_WHITESPACE)
    if entity == "EMAIL":
        return text.translate(_ASCII_LOWER)
    return text


def _hmac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def token_for(value: str, entity: str | None = None, version: int | None = None) -> str:
    """The keyed token of ``value`` (HMAC-SHA256 of the normalised value, hex)."""
    return _hmac_hex(key_version(version).token_key, normalise(value, entity))


def salt_id_for(customer_id: str) -> str:
    """Index of a customer's salt; independent of the token key version."""
    return _hmac_hex(key_version().salt_index_key, normalise(customer_id, "CUSTOMER_ID"))


# -- per-customer salts and crypto-shredding -------------------------------------------------


def read_salts() -> dict[str, bytes]:
    """customer_token -> salt, across all key versions (the store is small: one row per token)."""
    import pyarrow.dataset as ds

    store = salt_store()
    if not store.exists() or not any(store.glob("*.parquet")):
        return {}
    table = ds.dataset(store, format="parquet").to_table(columns=["customer_token", "salt"])
    return dict(
        zip(
            table.column("customer_token").to_pylist(),
            table.column("salt").to_pylist(),
            strict=True,
        )
    )


def shred_customer(customer_token: str) -> None:
    """Delete the customer's salt (every key version): their vault entries become unreadable."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    store = salt_store()
    files = sorted(store.glob("*.parquet")) if store.exists() else []
    if not files:
        raise ShreddedError(f"no salt store at {store}")
    table = ds.dataset(files, format="parquet").to_table()
    victims = table.filter(pc.equal(table["customer_token"], customer_token))
    if victims.num_rows == 0:
        raise ShreddedError(
            f"customer_token {customer_token[:12]}… has no salt (already shredded?)"
        )
    # the same salt is indexed under every key version's token: remove all rows of that salt
    keep = table.filter(pc.invert(pc.is_in(table["salt_id"], victims["salt_id"].unique())))
    tmp = store / "_shred.parquet.tmp"
    pq.write_table(keep, tmp)
    os.chmod(tmp, PRIVATE_FILE_MODE)
    os.replace(tmp, store / "salts-compacted.parquet")
    for path in files:
        if path.name != "salts-compacted.parquet":
            path.unlink()


VAULT_CIPHERS = ("aes-256-gcm", "sm4-gcm")
GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16
SM4_KEY_BYTES = 16


def vault_data_key(salt: bytes, version: int | None = None, cipher: str = "aes-256-gcm") -> bytes:
    """A customer's vault data key: HMAC-SHA256(vault key, salt), 32 bytes for AES-256; for
    SM4 (a 128-bit cipher) its first 16 bytes (the same derivation, truncated)."""
    key = hmac.new(key_version(version).vault_key, salt, hashlib.sha256).digest()
    return key[:SM4_KEY_BYTES] if cipher == "sm4-gcm" else key


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, nonce: bytes | None = None) -> bytes:
    """SM4-GCM in the vault's layout: 12-byte nonce ‖ ciphertext ‖ 16-byte tag (like Spark's
    ``aes_encrypt(…, 'GCM')``); the nonce is fresh from ``os.urandom`` unless given (tests)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    nonce = nonce if nonce is not None else os.urandom(GCM_NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    body = encryptor.update(plaintext) + encryptor.finalize()
    return nonce + body + encryptor.tag


def sm4_gcm_decrypt(key: bytes, blob: bytes) -> bytes:
    """Inverse of :func:`sm4_gcm_encrypt` (raises ``cryptography``'s InvalidTag if altered)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    nonce, body, tag = blob[:GCM_NONCE_BYTES], blob[GCM_NONCE_BYTES:-GCM_TAG_BYTES], blob[-16:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    return decryptor.update(body) + decryptor.finalize()


def decrypt_vault_row(
    customer_token: str,
    ciphertext: bytes,
    cipher: str = "aes-256-gcm",
    version: int | None = None,
) -> dict[str, str]:
    """Decrypt one vault row: ``{column: clear value}`` of that source row's C1 values (null
    values are absent). One ciphertext per row: a JSON object, under the customer's data key."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if cipher not in VAULT_CIPHERS:
        raise ValueError(f"unknown vault cipher {cipher!r}")
    salt = read_salts().get(customer_token)
    if salt is None:
        raise ShreddedError(f"customer_token {customer_token[:12]}…: salt deleted (shredded)")
    key = vault_data_key(salt, version, cipher)
    if cipher == "sm4-gcm":
        plaintext = sm4_gcm_decrypt(key, ciphertext)
    else:
        nonce, sealed = ciphertext[:GCM_NONCE_BYTES], ciphertext[GCM_NONCE_BYTES:]
        plaintext = AESGCM(key).decrypt(nonce, sealed, None)
    return json.loads(plaintext.decode("utf-8"))
