"""Each zh recognizer, through the real Presidio analyzer: positives, masked forms and
look-alike negatives."""

from __future__ import annotations

import pytest

from classification.engine import SUPPORTED_ENTITIES, get_analyzer

CASES: dict[str, tuple[list[str], list[str]]] = {
    "CN_RESIDENT_ID": (
        [
            "11010519491231002X",
            "11010519491231002x",
            "110105 19491231 002X",
            "１１０１０５１９４９１２３１００２Ｘ",
            "130503670401001",
            # python-stdnum's own vectors (tests/test_cn_ric.doctest), one with a lower-case x
            "360426199101010071",
            "44011320141005001x",
            "110105-19491231-002X",
            "110105 1949 1231 002X",
            "１１０１０５ １９４９１２３１ ００２ｘ",
        ],
        [
            "110105194912310021",
            "110105194913310028",
            "110105219912310023",
            "12345678901234567",
            # stdnum's invalid date and checksum vectors; a separator inside a group
            "360426199113010079",
            "36042619910102009X",
            "1101 0519491231002X",
            "110105_19491231_002X",
            # a masked 16- or 19-digit card is not a masked ID
            "622202******1234",
            "6222021*********1234",
        ],
    ),
    "BANK_CARD": (
        [
            "6222021234567890128",
            "6222 0212 3456 7890 128",
            "4111111111111111",
            "6212261202011584340",
        ],
        [
            "6222021234567890123",
            "4111111111111112",
            "123456789012",
            "62220212345678901234567",
            "4111111111111111N",
            "SF4111111111111111",
        ],
    ),
    "CN_MOBILE": (
        [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 13812345678",
            "008613812345678",
            "１３８１２３４５６７８",
            "19912345678",
            # phonenumbers' CN formats: E.164, international, national, RFC 3966
            "+8613123456789",
            "+86 131 2345 6789",
            "131 2345 6789",
            "tel:+86-131-2345-6789",
            "0086 138-1234-5678",
            "(+86)13812345678",
            "＋８６ １３８ １２３４ ５６７８",
        ],
        [
            "12812345678",
            "1381234567",
            "138123456789",
            "14012345678",
            "19412345678",
            "+87 13812345678",
            "138 12 345 678",
            "2026-11-20 13:81:23.4567",
        ],
    ),
    "CN_LANDLINE": (
        [
            "010-62345678",
            "(021)62345678",
            "0755-8765432",
            "02162345678",
            # phonenumbers' CN fixed-line formats: national, international (no trunk 0), RFC 3966
            "010 6552 9988",
            "0755 2345 6789",
            "+86 10 6552 9988",
            "tel:+86-571-8765-4321",
            "010-62345678-123",
        ],
        ["010-12345678", "12345678", "0012345678", "+86 010 6552 9988", "010 6552 99"],
    ),
    "EMAIL": (
        ["zhang.san@example.com", "li_si+crm@mail.qq.com", "a@b.cn"],
        ["zhang.san@example", "not an email", "a@b.invalidtld"],
    ),
    "IP_ADDRESS": (
        ["192.168.1.1", "8.8.8.8", "2001:db8::1", "fe80::1ff:fe23:4567:890a"],
        ["999.1.1.1", "1.2.3", "12:30:45", "rv:1.9.5.20", "Firefox/1.9.5.20", "v1.2.3.4"],
    ),
    "GEO_LOCATION": (
        ["39.9042,116.4074", "116.4074, 39.9042", "31.2304 121.4737"],
        ["48.8566,2.3522", "39.9,116.4", "-33.8688,151.2093"],
    ),
    "LICENSE_PLATE": (
        [
            "京A12345",
            "粤B·D12345",
            "沪AD12345",
            "苏E12345F",
            "浙A1234学",
            # Faker zh_CN license_plate(): any capital as authority letter, a dash
            "京I-12345",
            "川O-67890",
            "粤B-D12345",
            "沪A 12345",
            "鲁B•12345",
        ],
        ["A12345", "京A1234", "京A-1234", "京A123456", "京AB-12345", "美A12345"],
    ),
    "CN_USCC": (
        ["91350100M000100Y43", "91110000802100433B"],
        ["91350100M000100Y44", "9135010OM000100Y43"],
    ),
    "CN_PASSPORT": (
        ["E12345678", "EA1234567", "G12345678"],
        ["e12345678", "E1234567", "X12345678"],
    ),
    "CN_TRAVEL_PERMIT": (
        ["C12345678", "CA1234567", "W12345678", "L12345678", "H12345678"],
        ["C1234567", "c12345678", "Q12345678"],
    ),
    "ADDRESS": (
        [
            "北京市朝阳区建国路88号",
            "广东省深圳市南山区科技园路1号3栋201室",
            "上海市浦东新区世纪大道100号",
        ],
        ["北京", "朝阳区", "今天天气很好"],
    ),
    "PERSON_NAME": (
        ["张三", "李小明", "欧阳娜娜", "诸葛亮"],
        ["北京", "的确很好", "客户服务中心", "江苏省", "黄石市", "金山区", "汤阴县"],
    ),
    "DATE_OF_BIRTH": (
        ["1990-03-07", "1985年12月1日", "2001/7/9"],
        ["1990-13-07", "2999-01-01", "19900307"],
    ),
    "MARITAL_STATUS": (["已婚", "离异", "married"], ["已完成", "结婚纪念日礼品"]),
    "RELIGION": (["佛教", "伊斯兰教"], ["教育", "基督"]),
    "HEALTH": (["糖尿病", "高血压"], ["健身房", "物流延迟"]),
    "CREDENTIAL": (
        ["$2b$12$" + "a" * 53],
        ["5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"],
    ),
}
MASKED = {
    "CN_MOBILE": ["138****5678"],
    "CN_RESIDENT_ID": ["110101********1234", "110***********002X", "110101******123"],
    "BANK_CARD": ["622202******1234"],
    "EMAIL": ["z***@example.com"],
}


def _found(text: str, entity: str) -> list:
    results = get_analyzer().analyze(text, language="zh", entities=[entity])
    return [r for r in results if r.entity_type == entity and r.end - r.start >= 0.8 * len(text)]


def test_every_registered_entity_has_cases() -> None:
    assert set(SUPPORTED_ENTITIES) == set(CASES)


@pytest.mark.parametrize(("entity", "text"), [(e, t) for e, (pos, _) in CASES.items() for t in pos])
def test_positive(entity: str, text: str) -> None:
    assert _found(text, entity), f"{entity} not found in {text!r}"


@pytest.mark.parametrize(("entity", "text"), [(e, t) for e, (_, neg) in CASES.items() for t in neg])
def test_negative(entity: str, text: str) -> None:
    assert not _found(text, entity), f"{entity} wrongly found in {text!r}"


@pytest.mark.parametrize(("entity", "text"), [(e, t) for e, ts in MASKED.items() for t in ts])
def test_masked_values_are_recognised_as_masked(entity: str, text: str) -> None:
    found = _found(text, entity)
    assert found and all(r.recognition_metadata["masked"] for r in found)


def test_embedded_pii_in_prose_is_found_with_offsets() -> None:
    text = "我的手机是13812345678，身份证11010519491231002X，谢谢"
    results = get_analyzer().analyze(text, language="zh")
    spans = {(r.entity_type, text[r.start : r.end]) for r in results}
    assert ("CN_MOBILE", "13812345678") in spans
    assert ("CN_RESIDENT_ID", "11010519491231002X") in spans


def test_full_width_span_keeps_the_offsets_of_the_delivered_text() -> None:
    """NFKC folding happens only where it keeps offsets: free text is scrubbed by them."""
    text = "客户留言：请打＋８６ １３８ １２３４ ５６７８，谢谢"
    found = [r for r in get_analyzer().analyze(text, language="zh") if r.entity_type == "CN_MOBILE"]
    assert [text[r.start : r.end] for r in found] == ["＋８６ １３８ １２３４ ５６７８"]
