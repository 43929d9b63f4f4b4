"""Regenerates the labelled evaluation tables (CSV) and labels.yaml in this folder (seeded,
deterministic).

Run by hand when the set changes: ``.venv/bin/python tests/classification/eval/make_eval_set.py``.
Headers mix Chinese, English, pinyin and opaque names; decoys include checksum-failing 18-digit
order numbers, random 16-digit numbers, 12-digit codes, masked values, full-width digits, blanks.
"""

from __future__ import annotations

import csv
import random
import string
from pathlib import Path

import yaml

from classification.recognizers.bank_card import luhn_valid
from classification.recognizers.cn_resident_id import gb11643_check_char
from classification.recognizers.cn_uscc import gb32100_check_char

HERE = Path(__file__).parent
N = 150
rng = random.Random(20260101)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def resident_id(_: int = 0) -> str:
    s = (
        f"{rng.choice(['110101', '310104', '440305', '510107', '330106'])}"
        f"{rng.randint(1950, 2008)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        f"{rng.randint(0, 999):03d}"
    )
    return s + gb11643_check_char(s)


def bad_checksum_18() -> str:
    rid = resident_id()
    wrong = [c for c in "0123456789X" if c != rid[-1]]
    return rid[:17] + rng.choice(wrong)


def card(_: int = 0) -> str:
    while True:
        s = "62" + "".join(rng.choice(string.digits) for _ in range(rng.choice([14, 15, 17])))
        if luhn_valid(s):
            return s


def mobile() -> str:
    return (
        rng.choice(["138", "139", "150", "186", "177", "199"]) + f"{rng.randint(0, 10**8 - 1):08d}"
    )


def fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in s)


def name(_: int = 0) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def uscc(_: int = 0) -> str:
    s = (
        "91"
        + rng.choice(["110000", "310000", "440300"])
        + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    )
    return s + gb32100_check_char(s)


def maybe_blank(v: str, p: float = 0.1) -> str:
    return "" if rng.random() < p else v


COLUMNS: dict[str, dict[str, tuple[str, object]]] = {
    "eval_customers": {
        "客户编号": ("NONE", lambda i: f"K{i:07d}"),
        "姓名": ("PERSON_NAME", name),
        "身份证号": ("CN_RESIDENT_ID", resident_id),
        "sjh": (
            "CN_MOBILE",
            lambda i: rng.choice(
                [mobile(), f"{mobile()[:3]} {mobile()[3:7]} {mobile()[7:]}", fullwidth(mobile())]
            ),
        ),
        "yhkh": ("BANK_CARD", card),
        "col_a": ("CN_RESIDENT_ID", resident_id),
        "col_b": ("BANK_CARD", lambda i: maybe_blank(card())),
        "col_c": ("CN_MOBILE", lambda i: "+86 " + mobile()),
        "email_addr": (
            "EMAIL",
            lambda i: f"user{i}@{rng.choice(['qq.com', '163.com', 'example.cn'])}",
        ),
        "jtzz": (
            "ADDRESS",
            lambda i: (
                rng.choice(["北京市朝阳区", "上海市浦东新区", "广东省深圳市南山区"])
                + rng.choice(["建国路", "世纪大道", "科技园路"])
                + f"{rng.randint(1, 300)}号"
            ),
        ),
        "csrq": (
            "DATE_OF_BIRTH",
            lambda i: (
                f"{rng.randint(1950, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            ),
        ),
        "婚姻状况": ("MARITAL_STATUS", lambda i: rng.choice(["已婚", "未婚", "离异"])),
        "masked_phone": ("CN_MOBILE", lambda i: mobile()[:3] + "****" + mobile()[7:]),
        "col_d": ("CN_RESIDENT_ID", lambda i: resident_id()[:6] + "********" + resident_id()[14:]),
        "gps": ("GEO_LOCATION", lambda i: f"{rng.uniform(22, 41):.5f},{rng.uniform(100, 121):.5f}"),
        "cph": (
            "LICENSE_PLATE",
            lambda i: (
                rng.choice("京沪粤浙")
                + rng.choice("ABCDE")
                + rng.choice([f"{rng.randint(10000, 99999)}", f"D{rng.randint(10000, 99999)}"])
            ),
        ),
        "login_ip": (
            "IP_ADDRESS",
            lambda i: ".".join(
                str(rng.randint(a, b)) for a, b in ((1, 223), (0, 255), (0, 255), (1, 254))
            ),
        ),
        "hzh": ("CN_PASSPORT", lambda i: f"E{rng.randint(10**7, 10**8 - 1)}"),
        "col_e": ("CN_TRAVEL_PERMIT", lambda i: f"C{rng.randint(10**7, 10**8 - 1)}"),
        "nsr": ("INCOME", lambda i: f"{rng.randint(30, 900) * 1000}"),
        "备注": (
            "FREE_TEXT_PII",
            lambda i: rng.choice(
                [
                    "客户要求回电",
                    "物流太慢了，希望改进服务",
                    f"请联系{mobile()}处理退款",
                    "已处理完毕，客户满意",
                ]
            ),
        ),
        "empty_col": ("NONE", lambda i: ""),
    },
    "eval_orders": {
        "order_no": ("NONE", lambda i: bad_checksum_18()),
        "rand16": ("NONE", lambda i: f"{rng.randint(10**15, 10**16 - 1)}"),
        "code12": ("NONE", lambda i: f"{rng.randint(10**11, 10**12 - 1)}"),
        "商品名称": ("NONE", lambda i: rng.choice(["保温杯", "蓝牙耳机", "运动鞋", "绿茶礼盒"])),
        "status": ("NONE", lambda i: rng.choice(["paid", "shipped", "closed"])),
        # a header naming an amount over two-decimal values: financial C2 (issue 17, JR/T 0171)
        "amount": (
            "TRANSACTION_AMOUNT",
            lambda i: f"{rng.randint(1, 9999)}.{rng.randint(0, 99):02d}",
        ),
        "ddh": ("NONE", lambda i: f"DD{rng.randint(10**9, 10**10 - 1)}"),
        "sku": ("NONE", lambda i: f"SKU-{rng.randint(1000, 9999)}"),
        "evidence_hash": (
            "NONE",
            lambda i: "".join(rng.choice("0123456789abcdef") for _ in range(64)),
        ),
        "tyshxydm": ("CN_USCC", lambda i: uscc()),
        "col_f": ("NONE", lambda i: rng.choice(["cn-north-1", "cn-east-2", "eu-central-1"])),
        "version": ("NONE", lambda i: f"v{rng.randint(1, 9)}.{rng.randint(0, 9)}"),
        "rating": ("NONE", lambda i: str(rng.randint(1, 5))),
        "qty_fullwidth": ("NONE", lambda i: fullwidth(str(rng.randint(1, 500)))),
        "tracking_no": ("NONE", lambda i: f"SF{rng.randint(10**11, 10**12 - 1)}"),
    },
    "eval_contacts": {
        "Phone Number": ("CN_MOBILE", lambda i: f"{mobile()[:3]}-{mobile()[3:7]}-{mobile()[7:]}"),
        "Office Tel": (
            "CN_LANDLINE",
            lambda i: (
                f"(0{rng.choice(['10', '21', '755'])})"
                + f"{rng.randint(2, 8)}{rng.randint(10**6, 10**7 - 1)}"
            ),
        ),
        "Contact Person": ("PERSON_NAME", name),
        "postcode": ("NONE", lambda i: f"{rng.randint(100000, 850000)}"),
        "unix_ts": ("NONE", lambda i: f"{rng.randint(1_600_000_000, 1_800_000_000)}"),
        "wechat": ("SOCIAL_ACCOUNT", lambda i: f"wx_{rng.randint(1000, 99999)}"),
        "card_last4": ("NONE", lambda i: f"{rng.randint(0, 9999):04d}"),
        "remarks": (
            "NONE",
            lambda i: rng.choice(["按时送达", "客户很满意", "需要发票", "周末不在家"]),
        ),
        "latitude": ("GEO_LOCATION", lambda i: f"{rng.uniform(20, 45):.6f}"),
        "col_g": (
            "EMAIL",
            lambda i: f"{rng.choice('abcxyz')}***@{rng.choice(['qq.com', '163.com'])}",
        ),
        "col_h": ("CN_RESIDENT_ID", lambda i: fullwidth(resident_id())),
        "col_i": ("NONE", lambda i: f"{rng.randint(10**17, 10**18 - 1)}"),
        "passport_no": (
            "CN_PASSPORT",
            lambda i: rng.choice(
                [f"E{rng.randint(10**7, 10**8 - 1)}", f"EA{rng.randint(10**6, 10**7 - 1)}"]
            ),
        ),
    },
}


def main() -> None:
    labels: dict[str, dict[str, str]] = {}
    for table, cols in COLUMNS.items():
        rows = [[str(gen(i)) for gen in (g for _, g in cols.values())] for i in range(N)]
        with (HERE / f"{table}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(cols)
            w.writerows(rows)
        labels[table] = {c: e for c, (e, _) in cols.items()}
    (HERE / "labels.yaml").write_text(
        "# expected entity per column of the evaluation tables (make_eval_set.py writes it)\n"
        + yaml.safe_dump(labels, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
