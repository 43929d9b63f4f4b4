"""Regenerates the public-material evaluation set (CSV tables + labels.yaml in this folder).

Values come from material no one on this project wrote, so the classifier is judged on formats
it was not tuned to:

- python-stdnum's own test vectors for ``cn.ric`` and ``cn.uscc`` (``stdnum_vectors.yaml``,
  extracted from the sdist's ``tests/test_cn_*.doctest``; refresh with
  ``--stdnum-sdist python_stdnum-X.tar.gz``);
- Faker's ``zh_CN`` providers (names, resident IDs, mobiles, plates as ``京A-12345``, addresses,
  e-mails, UnionPay/Visa/Mastercard numbers, coordinates of Chinese cities, hashes, UUIDs...);
- phonenumbers' CN metadata: mobiles and fixed lines, checked with ``is_valid_number`` and written
  in its E.164, international, national and RFC 3966 formats;
- JR/T 0171-2020's field examples (支付账号, 交易金额, 信用评分, 账户余额, 授信额度, 收入状况,
  交易密码, 卡片验证码, 开户机构...) as headers.

Headers mix English, Chinese, full pinyin, pinyin initials and opaque names; decoys are order
numbers, timestamps (fractional seconds, offsets), hashes, codes, enumerations and bare numbers;
masked values appear as exports show them. Labels are what a compliance officer would say, not
what the classifier says. Seeded: the same script writes the same bytes.

Run: ``.venv/bin/python tests/classification/eval/public/make_public_eval_set.py``
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import re
import tarfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import phonenumbers
import yaml
from faker import Faker
from phonenumbers import PhoneNumberFormat, PhoneNumberType

HERE = Path(__file__).parent
VECTORS = HERE / "stdnum_vectors.yaml"
ROWS = 150
SEED = 20261204

fake = Faker("zh_CN")
fake.seed_instance(SEED)
rng = random.Random(SEED)
Gen = Callable[[int], str]


# -- python-stdnum's vectors ----------------------------------------------------------------------
def extract_stdnum_vectors(sdist: Path) -> dict:
    """Valid and invalid numbers from stdnum's cn.ric / cn.uscc doctests (as the sdist ships)."""
    out: dict[str, dict[str, list[str]]] = {}
    with tarfile.open(sdist) as tar:
        for module in ("ric", "uscc"):
            member = next(
                m for m in tar.getmembers() if m.name.endswith(f"test_cn_{module}.doctest")
            )
            text = tar.extractfile(member).read().decode("utf-8")
            valid: list[str] = []
            invalid: list[str] = []
            # >>> mod.validate('X') (or get_birth_date, get_birth_place...) followed by a result
            # (valid) or a Traceback (invalid)
            for m in re.finditer(rf">>> {module}\.\w+\('([^']+)'\).*\n(.*)", text):
                (invalid if m.group(2).startswith("Traceback") else valid).append(m.group(1))
            block = re.search(r"numbers = '''\n(.*?)\.\.\. '''", text, re.S)
            if block:
                valid += [x[4:].strip() for x in block.group(1).splitlines() if x[4:].strip()]
            valid = sorted(set(valid) - set(invalid))
            out[module] = {"valid": valid, "invalid": sorted(set(invalid))}
    return {
        "source": f"python-stdnum sdist {sdist.name}: tests/test_cn_ric.doctest, "
        "tests/test_cn_uscc.doctest (LGPL-2.1-or-later; numbers quoted as test data)",
        **out,
    }


@lru_cache(maxsize=1)
def vectors() -> dict:
    return yaml.safe_load(VECTORS.read_text(encoding="utf-8"))


# -- value makers (public material) ---------------------------------------------------------------
def fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def stdnum(module: str, kind: str, step: int = 1) -> Gen:
    """The i-th of stdnum's valid or invalid vectors (read when the rows are made)."""
    return lambda i: vectors()[module][kind][::step][i % len(vectors()[module][kind])]


def ric_vectors() -> list[str]:
    return vectors()["ric"]["valid"]


def faker_id(i: int) -> str:
    # every fourth from stdnum's own vectors, the rest Faker's zh_CN ssn()
    return ric_vectors()[i % len(ric_vectors())] if i % 4 == 0 else fake.ssn()


def spaced_id(i: int) -> str:
    s = faker_id(i)
    return f"{s[:6]} {s[6:14]} {s[14:]}" if i % 2 else f"{s[:6]}-{s[6:10]}-{s[10:14]}-{s[14:]}"


def lower_x_id(i: int) -> str:
    return faker_id(i).lower()


def valid_cn(kind: PhoneNumberType, fmt: PhoneNumberFormat) -> str:
    """A CN number phonenumbers' metadata calls valid and of ``kind``, in its format ``fmt``."""
    while True:
        if kind == PhoneNumberType.MOBILE:
            raw = fake.phone_number()
        else:
            area = rng.choice(["10", "21", "22", "23", "20", "755", "571", "512", "28", "731"])
            raw = "0" + area + str(rng.randint(2, 8)) + f"{rng.randrange(10**7):07d}"
        num = phonenumbers.parse(raw, "CN")
        if phonenumbers.is_valid_number(num) and phonenumbers.number_type(num) == kind:
            return phonenumbers.format_number(num, fmt)


def mobile(fmt: PhoneNumberFormat) -> Gen:
    return lambda i: valid_cn(PhoneNumberType.MOBILE, fmt)


def landline(fmt: PhoneNumberFormat) -> Gen:
    return lambda i: valid_cn(PhoneNumberType.FIXED_LINE, fmt)


def dashed_mobile(i: int) -> str:
    m = fake.phone_number()
    return f"0086 {m[:3]}-{m[3:7]}-{m[7:]}"


def plate(sep: str) -> Gen:
    return lambda i: fake.license_plate().replace("-", sep)


def card(i: int) -> str:
    return fake.credit_card_number(rng.choice(["unionpay", "visa", "mastercard"]))


def grouped_card(i: int) -> str:
    c = card(i)
    return " ".join(c[k : k + 4] for k in range(0, len(c), 4))


def geo_pair(i: int) -> str:
    lat, lng, *_ = fake.local_latlng(country_code="CN")
    return f"{lat},{lng}"


def axis(which: int) -> Gen:
    return lambda i: fake.local_latlng(country_code="CN")[which]


def amount(lo: int = 1, hi: int = 50_000, decorate: str = "") -> Gen:
    def make(i: int) -> str:
        value = f"{rng.randint(lo, hi)}.{rng.randrange(100):02d}"
        if decorate == "yuan":
            return f"¥{int(float(value)):,}.{value[-2:]}"
        return value

    return make


def integers(lo: int, hi: int) -> Gen:
    return lambda i: str(rng.randint(lo, hi))


def birth_date() -> dt.date:
    # fixed bounds, not Faker's date_of_birth() (relative to today): the same bytes every run
    return fake.date_between(dt.date(1940, 1, 1), dt.date(2008, 12, 31))


def masked(make: Gen, keep_first: int, keep_last: int) -> Gen:
    def mask(i: int) -> str:
        s = make(i)
        return s[:keep_first] + "*" * (len(s) - keep_first - keep_last) + s[len(s) - keep_last :]

    return mask


def masked_name(i: int) -> str:
    n = fake.name()
    return n[0] + "*" * (len(n) - 1)


def masked_email(i: int) -> str:
    user, domain = fake.free_email().split("@")
    return f"{user[0]}***@{domain}"


def timestamp(style: str) -> Gen:
    def make(i: int) -> str:
        t = fake.date_time_between(dt.datetime(2024, 1, 1), dt.datetime(2026, 11, 30))
        us = rng.randrange(10**6)
        return {
            "fraction": f"{t:%Y-%m-%d %H:%M:%S}.{us:06d}",
            "offset": f"{t:%Y-%m-%dT%H:%M:%S}.{us // 1000:03d}+08:00",
            "zulu": f"{t:%Y-%m-%dT%H:%M:%S}Z",
            "slash": f"{t:%Y/%m/%d %H:%M:%S}",
            "nanos": f"{t:%Y-%m-%d %H:%M:%S}.{us:06d}{rng.randrange(1000):03d} +0800",
        }[style]

    return make


def prose_with_pii(i: int) -> str:
    if i % 8 == 0:
        return f"{fake.sentence()}请联系{fake.name()}，电话{fake.phone_number()}"
    return fake.sentence()


def choice(values: list[str]) -> Gen:
    return lambda i: rng.choice(values)


HEALTH = ["高血压", "糖尿病", "哮喘", "过敏", "无"]  # ICD chapter examples as exports word them
RELIGION = ["佛教", "道教", "基督教", "伊斯兰教", "无宗教信仰"]
MARITAL = ["已婚", "未婚", "离异", "丧偶"]
M = PhoneNumberFormat

# table -> column -> (label, generator); the label is the entity a compliance officer expects
COLUMNS: dict[str, dict[str, tuple[str, Gen]]] = {
    "pub_people": {
        "姓名": ("PERSON_NAME", lambda i: fake.name()),
        "full_name": ("PERSON_NAME", lambda i: fake.name()),
        "xm": ("PERSON_NAME", lambda i: fake.name()),
        "客户名称": ("PERSON_NAME", lambda i: fake.name()),
        "c01": ("PERSON_NAME", lambda i: fake.name()),
        "身份证号": ("CN_RESIDENT_ID", faker_id),
        "sfzh": ("CN_RESIDENT_ID", lower_x_id),
        "id_card_no": ("CN_RESIDENT_ID", spaced_id),
        "证件号码": ("CN_RESIDENT_ID", stdnum("ric", "valid")),
        "shenfenzheng": ("CN_RESIDENT_ID", faker_id),
        "c02": ("CN_RESIDENT_ID", lambda i: fullwidth(faker_id(i))),
        "c03": ("CN_RESIDENT_ID", faker_id),
        "手机号码": ("CN_MOBILE", lambda i: fake.phone_number()),
        "mobile": ("CN_MOBILE", mobile(M.INTERNATIONAL)),
        "sjhm": ("CN_MOBILE", mobile(M.E164)),
        "shoujihao": ("CN_MOBILE", mobile(M.NATIONAL)),
        "contact_tel": ("CN_MOBILE", mobile(M.RFC3966)),
        "Phone": ("CN_MOBILE", dashed_mobile),
        "联系电话": ("CN_MOBILE", lambda i: fullwidth(fake.phone_number())),
        "c04": ("CN_MOBILE", mobile(M.INTERNATIONAL)),
        "c05": ("CN_MOBILE", lambda i: fake.phone_number()),
        "固定电话": ("CN_LANDLINE", landline(M.NATIONAL)),
        "office_phone": ("CN_LANDLINE", landline(M.INTERNATIONAL)),
        "gddh": ("CN_LANDLINE", landline(M.RFC3966)),
        "c06": ("CN_LANDLINE", landline(M.NATIONAL)),
        "车牌号": ("LICENSE_PLATE", plate("-")),
        "cph": ("LICENSE_PLATE", plate("·")),
        "plate_no": ("LICENSE_PLATE", plate(" ")),
        "chepaihao": ("LICENSE_PLATE", plate("")),
        "c07": ("LICENSE_PLATE", plate("-")),
        "地址": ("ADDRESS", lambda i: fake.address()),
        "home_address": ("ADDRESS", lambda i: fake.address()),
        "jtzz": ("ADDRESS", lambda i: fake.address()),
        "c08": ("ADDRESS", lambda i: fake.address()),
        "电子邮箱": ("EMAIL", lambda i: fake.email()),
        "email": ("EMAIL", lambda i: fake.free_email()),
        "dzyx": ("EMAIL", lambda i: fake.company_email()),
        "c09": ("EMAIL", lambda i: fake.email()),
        "出生日期": ("DATE_OF_BIRTH", lambda i: f"{birth_date():%Y-%m-%d}"),
        "birthday": ("DATE_OF_BIRTH", lambda i: f"{birth_date():%Y年%m月%d日}"),
        "csrq": ("DATE_OF_BIRTH", lambda i: f"{birth_date():%Y/%m/%d}"),
        "婚姻状况": ("MARITAL_STATUS", choice(MARITAL)),
        "hyzk": ("MARITAL_STATUS", choice(MARITAL)),
        "宗教信仰": ("RELIGION", choice(RELIGION)),
        "健康状况": ("HEALTH", choice(HEALTH)),
        "wechat_id": ("SOCIAL_ACCOUNT", lambda i: "wxid_" + fake.lexify("??????????").lower()),
        "qq号": ("SOCIAL_ACCOUNT", integers(10_000, 3_999_999_999)),
    },
    "pub_accounts": {
        "银行卡号": ("BANK_CARD", card),
        "支付账号": ("BANK_CARD", card),
        "card_no": ("BANK_CARD", grouped_card),
        "yhkh": ("BANK_CARD", card),
        "c10": ("BANK_CARD", card),
        "c11": ("BANK_CARD", grouped_card),
        "统一社会信用代码": ("CN_USCC", stdnum("uscc", "valid")),
        "credit_code": ("CN_USCC", stdnum("uscc", "valid", -1)),
        "c12": ("CN_USCC", stdnum("uscc", "valid")),
        "交易密码": ("CREDENTIAL", lambda i: fake.password(length=8)),
        "卡片验证码": ("CREDENTIAL", lambda i: fake.credit_card_security_code()),
        "password": ("CREDENTIAL", lambda i: fake.password(length=12)),
        "login_ip": ("IP_ADDRESS", lambda i: fake.ipv4_public()),
        "ip_address": ("IP_ADDRESS", lambda i: fake.ipv4()),
        "c13": ("IP_ADDRESS", lambda i: fake.ipv6()),
        "经纬度": ("GEO_LOCATION", geo_pair),
        "gps": ("GEO_LOCATION", geo_pair),
        "c14": ("GEO_LOCATION", geo_pair),
        "latitude": ("GEO_LOCATION", axis(0)),
        "lng": ("GEO_LOCATION", axis(1)),
        "开户机构": ("NONE", lambda i: fake.company()),
        "开户时间": ("NONE", timestamp("slash")),
        "account_status": ("NONE", choice(["正常", "冻结", "销户"])),
    },
    "pub_finance": {
        "交易金额": ("TRANSACTION_AMOUNT", amount()),
        "amount": ("TRANSACTION_AMOUNT", amount()),
        "jine": ("TRANSACTION_AMOUNT", amount()),
        "je": ("TRANSACTION_AMOUNT", amount()),
        "jyje": ("TRANSACTION_AMOUNT", amount()),
        "txn_amt": ("TRANSACTION_AMOUNT", amount(decorate="yuan")),
        "Transaction Amount": ("TRANSACTION_AMOUNT", amount(-5_000, 5_000)),
        "订单金额": ("TRANSACTION_AMOUNT", amount()),
        "信用评分": ("CREDIT_SCORE", integers(350, 950)),
        "credit_score": ("CREDIT_SCORE", integers(300, 850)),
        "xinyongpingfen": ("CREDIT_SCORE", integers(350, 950)),
        "xypf": ("CREDIT_SCORE", integers(350, 950)),
        "Credit Score": ("CREDIT_SCORE", integers(300, 850)),
        "芝麻分": ("CREDIT_SCORE", integers(350, 950)),
        "年收入": ("INCOME", amount(30_000, 2_000_000)),
        "income": ("INCOME", amount(3_000, 90_000)),
        "shouru": ("INCOME", amount(3_000, 90_000)),
        "nsr": ("INCOME", integers(30_000, 2_000_000)),
        "收入状况": ("INCOME", amount(3_000, 90_000)),
        "monthly_salary": ("INCOME", amount(3_000, 90_000)),
        "账户余额": ("ACCOUNT_BALANCE", amount(0, 1_000_000)),
        "balance": ("ACCOUNT_BALANCE", amount(0, 1_000_000)),
        "zhye": ("ACCOUNT_BALANCE", amount(0, 1_000_000)),
        "available_balance": ("ACCOUNT_BALANCE", amount(0, 1_000_000)),
        "授信额度": ("CREDIT_LIMIT", integers(1_000, 500_000)),
        "credit_limit": ("CREDIT_LIMIT", amount(1_000, 500_000)),
        "sxed": ("CREDIT_LIMIT", integers(1_000, 500_000)),
        "信用额度": ("CREDIT_LIMIT", amount(1_000, 500_000)),
        # bare numbers: amounts and scores without a financial header are not personal
        "c15": ("NONE", amount()),
        "c16": ("NONE", integers(350, 950)),
        "quantity": ("NONE", integers(1, 50)),
        "exchange_rate": ("NONE", lambda i: f"{rng.uniform(6.5, 7.5):.4f}"),
        "discount": ("NONE", lambda i: f"{rng.uniform(0.5, 1):.2f}"),
        "points": ("NONE", integers(0, 100_000)),
        "rating": ("NONE", integers(1, 5)),
        "年份": ("NONE", integers(2000, 2026)),
        "weight_kg": ("NONE", lambda i: f"{rng.uniform(0.1, 40):.3f}"),
        "currency": ("NONE", choice(["CNY", "USD", "HKD"])),
    },
    "pub_events": {
        "order_no": ("NONE", lambda i: fake.numerify("##################")),
        "订单号": ("NONE", lambda i: "DD" + fake.numerify("%###############")),
        "created_at": ("NONE", timestamp("fraction")),
        "updated_at": ("NONE", timestamp("offset")),
        "event_time": ("NONE", timestamp("zulu")),
        "下单时间": ("NONE", timestamp("slash")),
        "ingested_at": ("NONE", timestamp("nanos")),
        "ship_date": (
            "NONE",
            lambda i: f"{fake.date_between(dt.date(2025, 12, 1), dt.date(2026, 11, 30)):%Y-%m-%d}",
        ),
        "sent_time": ("NONE", lambda i: f"{timestamp('zulu')(i)[11:19]}.{rng.randrange(1000):03d}"),
        "sha256": ("NONE", lambda i: fake.sha256()),
        "md5": ("NONE", lambda i: fake.md5()),
        "request_id": ("NONE", lambda i: fake.uuid4()),
        "sku": ("NONE", lambda i: fake.bothify("SKU-####-??").upper()),
        "tracking_no": ("NONE", lambda i: "SF" + fake.numerify("############")),
        "postcode": ("NONE", lambda i: fake.postcode()),
        "unix_ts": ("NONE", integers(1_600_000_000, 1_800_000_000)),
        "status": ("NONE", choice(["paid", "shipped", "closed", "refunded"])),
        "channel": ("NONE", choice(["sms", "email", "app_push", "call"])),
        "公司名称": ("NONE", lambda i: fake.company()),
        "job_title": ("NONE", lambda i: fake.job()),
        "city": ("NONE", lambda i: fake.city()),
        "province": ("NONE", lambda i: fake.province()),
        "url": ("NONE", lambda i: fake.url()),
        "user_agent": ("NONE", lambda i: fake.user_agent()),
        "version": ("NONE", lambda i: fake.numerify("v#.#.#")),
        "file_name": ("NONE", lambda i: fake.file_name()),
        "color": ("NONE", lambda i: fake.hex_color()),
        "isbn": ("NONE", lambda i: fake.isbn13()),
        "ean": ("NONE", lambda i: fake.ean13()),
        "rand16": ("NONE", lambda i: fake.numerify("%###############")),
        "code12": ("NONE", lambda i: fake.numerify("############")),
        "客服热线": ("NONE", lambda i: "400-" + fake.numerify("###-####")),
        "iban": ("NONE", lambda i: fake.iban()),
        "swift": ("NONE", lambda i: fake.swift()),
        "描述": ("NONE", lambda i: fake.sentence()),
        "备注": ("FREE_TEXT_PII", prose_with_pii),
        "c17": ("FREE_TEXT_PII", prose_with_pii),
        # stdnum's invalid USCC vectors (bad length, letters, check character): not codes at all
        "ref_code": ("NONE", stdnum("uscc", "invalid")),
    },
    "pub_masked": {
        "masked_mobile": ("CN_MOBILE", masked(lambda i: fake.phone_number(), 3, 4)),
        "手机号_脱敏": ("CN_MOBILE", masked(lambda i: fake.phone_number(), 3, 4)),
        "c18": ("CN_MOBILE", masked(lambda i: fake.phone_number(), 3, 4)),
        "id_masked": ("CN_RESIDENT_ID", masked(faker_id, 6, 4)),
        "c19": ("CN_RESIDENT_ID", masked(faker_id, 3, 4)),
        "脱敏卡号": ("BANK_CARD", masked(card, 6, 4)),
        "c20": ("BANK_CARD", masked(card, 6, 4)),
        "姓名_脱敏": ("PERSON_NAME", masked_name),
        "masked_email": ("EMAIL", masked_email),
        "车牌_脱敏": ("LICENSE_PLATE", masked(plate(""), 3, 2)),
        "地址_脱敏": ("ADDRESS", lambda i: fake.province() + fake.city() + "****"),
    },
}


def write_set(out: Path, seed: int = SEED, rows: int = ROWS) -> None:
    """Write the tables and labels.yaml to ``out`` (another seed: a held-out variant)."""
    fake.seed_instance(seed)
    rng.seed(seed)
    out.mkdir(parents=True, exist_ok=True)
    labels: dict[str, dict[str, str]] = {}
    for table, cols in COLUMNS.items():
        values = [[str(gen(i)) for _, gen in cols.values()] for i in range(rows)]
        with (out / f"{table}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(cols)
            w.writerows(values)
        labels[table] = {c: e for c, (e, _) in cols.items()}
    (out / "labels.yaml").write_text(
        "# expected entity per column of the public-material tables (make_public_eval_set.py)\n"
        + yaml.safe_dump(labels, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdnum-sdist", type=Path, help="refresh stdnum_vectors.yaml from it")
    parser.add_argument("--out", type=Path, default=HERE, help="folder (default: this one)")
    parser.add_argument("--seed", type=int, default=SEED, help="another seed: held-out variant")
    parser.add_argument("--rows", type=int, default=ROWS)
    args = parser.parse_args()
    if args.stdnum_sdist:
        VECTORS.write_text(
            "# python-stdnum's own cn.ric / cn.uscc test vectors (make_public_eval_set.py)\n"
            + yaml.safe_dump(extract_stdnum_vectors(args.stdnum_sdist), allow_unicode=True),
            encoding="utf-8",
        )
    write_set(args.out, args.seed, args.rows)


if __name__ == "__main__":
    main()
