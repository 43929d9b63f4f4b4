"""Each protect transform on small frames: tokens vs Python's hmac, masks, generalisations."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from decimal import Decimal

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from classification.policy import DisplayMask, Generalise, load_policy
from crmguard import key_store
from spark_jobs.protect import transforms
from spark_jobs.protect.io import key_pads

pytestmark = pytest.mark.spark


@pytest.fixture
def keys(spark: SparkSession, crmguard_home, monkeypatch):
    monkeypatch.delenv(key_store.KEY_FILE_ENV, raising=False)
    key_store.ensure_dev_keyring()
    return key_pads(spark)


def test_hmac_composed_from_sha2_equals_python_hmac(spark: SparkSession) -> None:
    # RFC 4231 test case 2 plus a UTF-8 value, against Python's hmac
    vectors = [(b"Jefe", "what do ya want for nothing?"), (b"k" * 32, "张三13800138000")]
    for key, message in vectors:
        ipad, opad = key_store.hmac_pads(key)
        df = spark.createDataFrame([(message, ipad, opad)], "m string, i binary, o binary")
        got = df.select(transforms.hmac_sha256(F.col("m"), F.col("i"), F.col("o"))).first()[0]
        assert got == hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
    assert got is not None
    assert (
        hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest()
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


@pytest.mark.parametrize(
    ("entity", "variants"),
    [
        (
            "CN_MOBILE",
            [
                "13800138000",
                "+86 138-0013-8000",
                "0086 13800138000",
                "１３８００１３８０００",
                "138\u00a00013\u00a08000",
                "\u3000138\u20070013\u202f8000\t",
            ],
        ),
        (
            "CN_RESIDENT_ID",
            [
                "44030519850101002X",
                "440305 19850101 002x",
                "４４０３０５１９８５０１０１００２Ｘ",
                "440305\u00a019850101\u00a0002X",
                "\ufeff440305\u300019850101\u2007002X\u200b",
            ],
        ),
        ("CUSTOMER_ID", ["C001", "Ｃ００１", " c001 ", "\u00a0C001\u00a0", "\tC\u202f001\u3000"]),
        ("EMAIL", ["alice@qq.com", "\u00a0Alice@QQ.com\u3000", "\u2007ALICE@qq.com\t"]),
        ("GEO_LOCATION", ["22.5,114.0", "22.5,\u00a0114.0", "22.5 ,\u202f114.0\u3000"]),
    ],
)
def test_tokens_equal_python_reference_and_across_spellings(
    spark: SparkSession,
    keys,
    entity: str,
    variants: list[str],
) -> None:
    df = spark.createDataFrame([(v,) for v in variants], "v string").crossJoin(keys)
    tokens = [r[0] for r in df.select(transforms.keyed_token(F.col("v"), entity)).collect()]
    assert len(set(tokens)) == 1  # same value from two sources -> same token
    assert tokens[0] == key_store.token_for(variants[0], entity)
    assert all(key_store.token_for(v, entity) == tokens[0] for v in variants)
    # deterministic across runs (a fresh keys frame, same key file)
    again = df.select(transforms.keyed_token(F.col("v"), entity)).first()[0]
    assert again == tokens[0]
    # a different value gives a different token
    assert key_store.token_for(variants[0] + "1", entity) != tokens[0]


@pytest.mark.parametrize("entity", [None, "CN_RESIDENT_ID", "CN_MOBILE", "EMAIL", "GEO_LOCATION"])
def test_normalisation_equals_python_for_every_bmp_character(
    spark: SparkSession, entity: str | None
) -> None:
    # every BMP character (surrogates aside) between, before and after digits: Spark's native
    # normalisation and the Python reference agree on all of them (spaces, full-width, …).
    # The templates without a space reach Spark's canonical-value fast path (a value ending in
    # a line break, a lower-case letter, an upper-case e-mail, a bare mobile number …).
    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    templates = ("{c}138{c}0013 {c}8000{c}", "{c}a1X{c}.b{c}", "1380013800{c}")
    values = [t.format(c=c) for c in chars for t in templates]
    chars = [c for c in chars for _ in templates]
    df = spark.createDataFrame([(v,) for v in values], "v string")
    got = [r[0] for r in df.select(transforms.normalise(F.col("v"), entity)).collect()]
    differ = [
        (hex(ord(c)), s, p)
        for c, s, p in zip(
            chars, got, (key_store.normalise(v, entity) for v in values), strict=True
        )
        if s != p
    ]
    assert not differ, differ[:20]


def test_unicode_spaces_fold_to_ascii_space() -> None:
    # the fold table covers every Unicode space Python knows (U+00A0, U+2007, U+202F, U+3000 …)
    assert {"\u00a0", "\u2007", "\u202f", "\u3000", "\u1680", "\u205f"} <= set(
        key_store.UNICODE_SPACES
    )
    for space in key_store.UNICODE_SPACES:
        assert key_store.normalise(f"{space}C001{space}", "CUSTOMER_ID") == "C001"
        assert key_store.normalise(f"a{space}b{space}", None) == "a b"


@pytest.mark.parametrize(
    ("entity", "mask", "value", "expected"),
    [
        (
            "CN_RESIDENT_ID",
            DisplayMask(keep_first=6, keep_last=4),
            "110101199003071234",
            "110101********1234",
        ),
        (
            "BANK_CARD",
            DisplayMask(keep_first=6, keep_last=4),
            "6222 0212 3456 7890",
            "622202******7890",
        ),
        ("CN_MOBILE", DisplayMask(keep_first=3, keep_last=4), "+86 138-5555-5678", "138****5678"),
        ("CN_PASSPORT", DisplayMask(keep_first=1, keep_last=3), "E12345678", "E*****678"),
        ("CN_MOBILE", DisplayMask(keep_first=3, keep_last=4), "12345", "*****"),
        ("GEO_LOCATION", DisplayMask(geo_round_decimals=1), "22.543096, 114.057865", "22.5,114.1"),
        ("HEALTH", DisplayMask(redact=True), "糖尿病", "***"),
        ("CN_MOBILE", DisplayMask(keep_first=3, keep_last=4), None, None),
    ],
)
def test_display_masks(spark: SparkSession, entity, mask, value, expected) -> None:
    df = spark.createDataFrame([(value,)], "v string")
    got = df.select(transforms.display_mask(F.col("v"), entity, mask).alias("m"))
    assertDataFrameEqual(got, spark.createDataFrame([(expected,)], "m string"))


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (Generalise(kind="surname"), "张三", "张*"),
        (Generalise(kind="email"), "Alice@QQ.com", "a***@qq.com"),
        (Generalise(kind="province_city"), "广东省深圳市南山区科技园1号", "广东省深圳市"),
        (Generalise(kind="province_city"), "北京市朝阳区建国路88号", "北京市"),
        (
            Generalise(kind="province_city"),
            "内蒙古自治区呼和浩特市新城区",
            "内蒙古自治区呼和浩特市",
        ),
        (Generalise(kind="ipv4_prefix", prefix=24), "192.168.10.77", "192.168.10.0/24"),
        (Generalise(kind="ipv4_prefix", prefix=24), "not an ip", None),
        (Generalise(kind="redact"), "已婚", "***"),
    ],
)
def test_generalise_strings(spark: SparkSession, rule, value, expected) -> None:
    df = spark.createDataFrame([(value,)], "v string")
    got = df.select(transforms.generalise(F.col("v"), rule).alias("g"))
    assertDataFrameEqual(got, spark.createDataFrame([(expected,)], "g string"))


def test_bands_and_year(spark: SparkSession) -> None:
    edges = load_policy("seed").entity("CREDIT_SCORE").generalise.edges
    df = spark.createDataFrame(
        [
            (340, dt.date(1990, 3, 7)),
            (550, dt.date(2001, 1, 1)),
            (649, None),
            (950, None),
            (None, None),
        ],
        "score int, born date",
    )
    got = df.select(
        transforms.band_label(F.col("score"), edges).alias("score_band"),
        transforms.generalise(F.col("born"), Generalise(kind="year")).alias("birth_year"),
    )
    expected = spark.createDataFrame(
        [("<350", 1990), ("[550,650)", 2001), ("[550,650)", None), (">=950", None), (None, None)],
        "score_band string, birth_year int",
    )
    assertDataFrameEqual(got, expected)
    money = spark.createDataFrame([(Decimal("120000.00"),)], "v decimal(18,2)")
    income = load_policy("seed").entity("INCOME").generalise.edges
    assert money.select(transforms.band_label(F.col("v"), income)).first()[0] == "[100000,200000)"


def test_birth_date_from_resident_id(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("110101199003071234",), ("110101800307123",), ("E12345678",), ("110101199013071234",)],
        "v string",
    )
    got = df.select(transforms.birth_date_from_id(F.col("v")).alias("d"))
    expected = spark.createDataFrame(
        [(dt.date(1990, 3, 7),), (dt.date(1980, 3, 7),), (None,), (None,)], "d date"
    )
    assertDataFrameEqual(got, expected)


def test_output_names_by_kind() -> None:
    assert transforms.generalised_name("birth_date", Generalise(kind="year")) == "birth_year"
    assert (
        transforms.generalised_name("ip", Generalise(kind="ipv4_prefix", prefix=24)) == "ip_prefix"
    )
    assert (
        transforms.generalised_name("address", Generalise(kind="province_city")) == "address_region"
    )
    assert transforms.generalised_name("name", Generalise(kind="surname")) == "name_masked"
    assert (
        transforms.generalised_name("credit_score", Generalise(kind="band", edges=[1, 2]))
        == "credit_score_band"
    )
