"""SM4-GCM vault encryption for users bound to national algorithms (GB/T 32907): a batched
Arrow (pandas) UDF over ``cryptography``'s SM4, since Spark has no native SM4.

Same layout as Spark's ``aes_encrypt(…, 'GCM')``: 12-byte nonce ‖ ciphertext ‖ 16-byte tag, a
fresh ``os.urandom`` nonce per value; the reference is ``crmguard.key_store.sm4_gcm_encrypt``.
"""

from __future__ import annotations

import pandas as pd
from pyspark.sql import Column
from pyspark.sql.functions import pandas_udf


@pandas_udf("binary")  # type: ignore[call-overload]
def _sm4_gcm_batch(plaintexts: pd.Series, keys: pd.Series) -> pd.Series:
    # one Arrow batch per call; the per-value work is the cipher itself (OpenSSL via cryptography)
    from crmguard.key_store import sm4_gcm_encrypt

    return pd.Series(
        [
            None if p is None or k is None else sm4_gcm_encrypt(bytes(k), bytes(p))
            for p, k in zip(plaintexts, keys, strict=True)
        ]
    )


def sm4_gcm_encrypt(plaintext: Column, key: Column) -> Column:
    """SM4-GCM of ``plaintext`` (binary) under ``key`` (16 bytes, binary), per row."""
    return _sm4_gcm_batch(plaintext, key)
