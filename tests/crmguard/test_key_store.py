"""crmguard.key_store without Spark: SM4-GCM against `cryptography` and RFC 8998, the vault data
key derivation per cipher, decrypting a vault row of either cipher, and crypto-shredding."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crmguard import key_store


def test_sm4_gcm_is_the_standard_one_rfc8998() -> None:
    # RFC 8998 appendix A.2 (SM4-GCM): `cryptography`'s SM4 in GCM mode is the standard cipher
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plaintext = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext) + encryptor.finalize()
    assert body.hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    assert encryptor.tag.hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"


@pytest.mark.parametrize("plaintext", [b"", b"x", b'{"mobile":"13800138000"}', b"z" * 1000])
def test_sm4_gcm_layout_equals_cryptography(plaintext: bytes) -> None:
    key, nonce = bytes(range(16)), bytes(range(12))
    blob = key_store.sm4_gcm_encrypt(key, plaintext, nonce)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    body = encryptor.update(plaintext) + encryptor.finalize()
    # nonce ‖ ciphertext ‖ tag, the layout of Spark's aes_encrypt GCM
    assert blob == nonce + body + encryptor.tag
    assert key_store.sm4_gcm_decrypt(key, blob) == plaintext
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(InvalidTag):
        key_store.sm4_gcm_decrypt(key, tampered)


def test_sm4_gcm_nonce_is_fresh_per_value() -> None:
    key = bytes(16)
    blobs = {key_store.sm4_gcm_encrypt(key, b"same value") for _ in range(50)}
    assert len(blobs) == 50 and len({b[:12] for b in blobs}) == 50


def _store_salt(customer_token: str, salt: bytes) -> None:
    store = key_store.salt_store()
    store.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "salt_id": [f"sid-{customer_token}"],
            "customer_token": [customer_token],
            "key_version": pa.array([1], pa.int32()),
            "salt": [salt],
        }
    )
    pq.write_table(table, store / f"{customer_token}.parquet")


def test_vault_rows_of_both_ciphers_decrypt_and_shred(
    crmguard_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(key_store.KEY_FILE_ENV, raising=False)
    key_store.ensure_dev_keyring()
    values = {"id_number": "110101199003071234", "mobile": "13800138000"}
    plaintext = json.dumps(values).encode()
    _store_salt("tok-a", b"a" * 16)
    _store_salt("tok-b", b"b" * 16)
    aes_key = key_store.vault_data_key(b"a" * 16)
    sm4_key = key_store.vault_data_key(b"a" * 16, cipher="sm4-gcm")
    # one derivation: SM4-128 uses the first 16 bytes of the AES-256 data key
    assert len(aes_key) == 32 and sm4_key == aes_key[:16]
    aes_row = bytes(12) + AESGCM(aes_key).encrypt(bytes(12), plaintext, None)
    sm4_row = key_store.sm4_gcm_encrypt(sm4_key, plaintext)
    assert key_store.decrypt_vault_row("tok-a", aes_row) == values
    assert key_store.decrypt_vault_row("tok-a", sm4_row, "sm4-gcm") == values
    with pytest.raises(InvalidTag):  # another customer's key does not open it
        key_store.sm4_gcm_decrypt(key_store.vault_data_key(b"b" * 16, cipher="sm4-gcm"), sm4_row)
    with pytest.raises(ValueError, match="unknown vault cipher"):
        key_store.decrypt_vault_row("tok-a", sm4_row, "des")

    key_store.shred_customer("tok-a")
    for row, cipher in ((aes_row, "aes-256-gcm"), (sm4_row, "sm4-gcm")):
        with pytest.raises(key_store.ShreddedError):
            key_store.decrypt_vault_row("tok-a", row, cipher)
    other = key_store.sm4_gcm_encrypt(key_store.vault_data_key(b"b" * 16, cipher="sm4-gcm"), b"{}")
    assert key_store.decrypt_vault_row("tok-b", other, "sm4-gcm") == {}


def test_normalise_reference_folds_unicode_spaces_and_full_width() -> None:
    assert key_store.normalise("\u00a0Ｃ００１\u3000", "CUSTOMER_ID") == "C001"
    assert key_store.normalise("138\u20070013\u202f8000", "CN_MOBILE") == "13800138000"
    assert key_store.normalise("\ufeff张三\u00a0", None) == "张三"
    # inner spaces of free values are kept (as one ASCII space each), ends trimmed
    assert key_store.normalise("\u3000北京\u00a0朝阳\u2007", None) == "北京 朝阳"
