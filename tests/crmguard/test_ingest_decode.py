"""Encoding decisions for landing bytes, per line: strict, mostly one encoding, mixed, a guess."""

from __future__ import annotations

import random

from crmguard.config import ingestion_policy
from crmguard.ingest.decode import DecodedFile, decode_file
from crmguard.ingest.formats import ingest_formats

NAMES = ["客户", "张三", "王五", "李四", "赵六", "北京", "上海"]


def decode(data: bytes, chunk_bytes: int = 1 << 20) -> DecodedFile:
    return decode_file(
        data, ingestion_policy().strict_encodings, ingest_formats().mostly_min_share, chunk_bytes
    )


def test_utf8_with_a_gb18030_valid_bad_pair_is_not_decoded_as_gb18030() -> None:
    # every byte of this file also decodes strictly as GB18030: the per-line decision (lines
    # valid UTF-8 are UTF-8, one GB18030-only line among many UTF-8 ones is damage) keeps it from
    # being read wholesale as GB18030 mojibake
    good = "".join(f"C{i},{n}\n" for i, n in enumerate(NAMES * 2)).encode("utf-8")
    data = b"id,name\n" + good + b"C99,\xb0\xa1\n"
    data.decode("gb18030")  # precondition of the test
    decoded = decode(data)
    assert decoded.encoding == "utf-8"
    assert decoded.decision.startswith("mostly-utf-8 (1 of 15 non-ASCII lines not utf-8")
    assert all(n in decoded.text for n in NAMES)
    assert decoded.undecodable_lines() == {2 * len(NAMES) + 2: len(b"id,name\n" + good) + 4}
    assert "\ufffd" in decoded.text.splitlines()[-1]


def test_half_gbk_half_utf8_is_decided_line_by_line() -> None:
    rows = [f"C{i},{n},北京市朝阳区建国路{i}号院\n" for i, n in enumerate(NAMES * 3)]
    gbk, utf8 = "".join(rows[:10]).encode("gbk"), "".join(rows[10:]).encode("utf-8")
    decoded = decode(b"id,name,address\n" + gbk + utf8, chunk_bytes=256)
    assert (decoded.encoding, decoded.decision) == (
        "mixed",
        "mixed: 11 lines utf-8, 10 lines gb18030",
    )
    assert decoded.text == "id,name,address\n" + "".join(rows)
    assert decoded.undecodable == []


def test_gb18030_lines_that_are_valid_utf8_by_chance_stay_gb18030() -> None:
    # "卢鲁" in GB18030 (C2 AC C2 B3) is the valid UTF-8 "¬³": among many GB18030 lines such a
    # line is GB18030 text, not a second exporter's
    chance = "卢鲁".encode("gb18030")
    chance.decode("utf-8")  # precondition of the test
    rows = [f"C{i},{n},北京市朝阳区{i}号\n" for i, n in enumerate(NAMES * 3)] + ["C99,卢鲁\n"]
    decoded = decode(b"id,name,address\n" + "".join(rows).encode("gb18030"))
    assert (decoded.encoding, decoded.decision) == ("gb18030", "strict-gb18030")
    assert decoded.text == "id,name,address\n" + "".join(rows)


def test_one_bad_byte_in_gb18030_text_condemns_only_its_line() -> None:
    rows = [
        f"C{i},{n},北京市朝阳区建国路{i}号院\n".encode("gb18030") for i, n in enumerate(NAMES * 4)
    ]
    rows[9] = rows[9].replace(b",", b",\x80\xff", 1)
    decoded = decode(b"id,name,address\n" + b"".join(rows))
    assert decoded.encoding == "gb18030"
    assert decoded.decision.startswith("mostly-gb18030 (1 of 28 non-ASCII lines")
    assert list(decoded.undecodable_lines()) == [11]
    lines = decoded.text.splitlines()
    assert [line for i, line in enumerate(lines[1:]) if i != 9] == [
        r.decode("gb18030").rstrip("\n") for i, r in enumerate(rows) if i != 9
    ]


def test_a_line_of_neither_encoding_in_a_mixed_file_is_the_only_one_reported() -> None:
    rows = [f"C{i},{n}\n" for i, n in enumerate(NAMES * 2)]
    head = "".join(rows[:7]).encode("gbk")
    bad = b"C7,\xff\xfe\n"
    tail = "".join(rows[8:]).encode("utf-8")
    decoded = decode(b"id,name\n" + head + bad + tail)
    assert decoded.decision == (
        "mixed: 6 lines utf-8, 7 lines gb18030, 1 line undecodable (quarantined)"
    )
    assert decoded.undecodable_lines() == {9: len(b"id,name\n" + head) + 3}
    assert decoded.text.splitlines()[1:8] == [r.rstrip("\n") for r in rows[:7]]
    assert decoded.text.splitlines()[9:] == [r.rstrip("\n") for r in rows[8:]]


def test_gbk_text_is_strict_gb18030() -> None:
    text = "id,name,address\n" + "".join(
        f"C{i},{n},北京市朝阳区建国路{i}号院\n" for i, n in enumerate(NAMES)
    )
    decoded = decode(text.encode("gbk"))
    assert (decoded.encoding, decoded.decision) == ("gb18030", "strict-gb18030")
    assert decoded.text == text
    assert decoded.undecodable == []


def test_neither_utf8_nor_gb18030_falls_back_to_a_named_guess() -> None:
    decoded = decode("name,city\ncafé,Zürich\nnaïve,Genève\n".encode("latin-1"))
    assert decoded.decision.startswith(f"charset-normalizer guess {decoded.encoding}")
    assert "confidence" in decoded.decision
    assert decoded.text.startswith("name,city\ncaf")


def test_bom_and_stray_cr_are_removed() -> None:
    decoded = decode(b"\xef\xbb\xbfid\r\r\nC1\r\n")
    assert decoded.bom
    assert decoded.decision == "strict-utf-8 (BOM stripped)"
    assert decoded.text == "id\nC1\n"


def test_each_undecodable_run_is_located_by_line_and_byte_offset() -> None:
    head = "id,name\nC1,张三\n".encode()
    first = b"C2,\xff\n"
    middle = "C3,李四\n".encode()
    second = b"C4,ab\xfe\xfe\n"
    tail = "C5,王五\n".encode() * 20
    data = b"\xef\xbb\xbf" + head + first + middle + second + tail
    decoded = decode(data)
    assert decoded.decision.startswith("utf-8 by BOM")
    before_second = 3 + len(head + first + middle)
    assert decoded.undecodable_lines() == {3: 3 + len(head) + 3, 5: before_second + 5}


def test_line_classes_agree_with_python_strict_decoders() -> None:
    # random lines built from UTF-8, GB18030 and junk fragments, cut anywhere: the vectorised
    # per-line decision must match decoding each line on its own
    from crmguard.ingest.decode import _classify_lines

    rng = random.Random(19)
    pieces = [
        "张三".encode(),
        "张三".encode("gb18030"),
        "😀".encode(),
        "é".encode(),
        b"\xe0\x80\x80",  # overlong
        b"\xed\xa0\x80",  # surrogate
        b"\xf4\x90\x80\x80",  # past U+10FFFF
        b"\x81\x30\x81\x30",  # GB18030 four-byte
        b"\x80",
        b"\xff",
        b"\xc0\xaf",
        b"a,",
    ]
    lines = [b"a\xe5\n", b"\x80a\n"]  # a sequence cut by a line end does not run on
    for _ in range(3000):
        line = b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        cut = rng.randint(0, len(line))
        lines.append(line[:cut] + line[cut + rng.randint(0, 1) :] + b"\n")
    raw = b"".join(lines)
    high, cls, _ = _classify_lines(raw, ["utf-8", "gb18030"])

    def expected(line: bytes) -> int:
        for i, enc in enumerate(["utf-8", "gb18030"]):
            try:
                line.decode(enc)
                return i
            except UnicodeDecodeError:
                pass
        return 2

    assert cls.tolist() == [expected(line) for line in lines]
    assert high.tolist() == [sum(b > 127 for b in line) for line in lines]
