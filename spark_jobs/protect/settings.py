"""Typed settings of the protect stage, read from ``config/protection.yaml``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crmguard.config import load


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SparkSettings(_Strict):
    master: str
    driver_memory: str
    shuffle_partitions: int = Field(ge=1)
    # codec of every Parquet file the session writes (zones, vault, salts)
    parquet_codec: Literal["zstd", "snappy", "lz4_raw", "gzip", "uncompressed"]
    redaction_regex: str
    sql_redaction_regex: str


class VaultSettings(_Strict):
    # aes-256-gcm: native aes_encrypt; sm4-gcm: batched Arrow UDF (spark_jobs/protect/sm4.py)
    cipher: Literal["aes-256-gcm", "sm4-gcm"]


class FreeTextSettings(_Strict):
    prefilter_regex: str
    label_format: str
    language: str
    min_score: float = Field(ge=0, le=1)
    arrow_batch_size: int = Field(ge=100)


class ProtectionSettings(_Strict):
    version: int
    spark: SparkSettings
    vault: VaultSettings
    free_text: FreeTextSettings


def protection_settings() -> ProtectionSettings:
    return load("protection.yaml", ProtectionSettings)
