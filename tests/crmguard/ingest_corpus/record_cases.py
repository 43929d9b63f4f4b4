"""Record-level cases of the corpus (issue 19, issue 14 item 3): one landing file each."""

from __future__ import annotations

import codecs
from collections import Counter

from tests.crmguard.ingest_corpus.corpus import (
    MESSAGE_HEADER,
    RecordCase,
    Stored,
    csv_text,
    message_key,
    message_row,
    messages,
)

ENGINE = "record pipeline: ingest-engine"
MESSAGES = "marketing_messages.csv"


def _only(keys: list[str]) -> Counter[str]:
    return Counter(keys)


def _content_of(key: str, expected: str):
    def check(stored: Stored) -> str | None:
        got = [r["content"] for r in stored.raw_rows if r["message_id"] == key]
        return None if got == [expected] else f"{key}: content {got!r:.80} != {expected!r:.80}"

    return check


def _no_cr(stored: Stored) -> str | None:
    bad = [r["message_id"] for r in stored.raw_rows if "\r" in (r["content"] or "")]
    return f"CR kept in content of {bad[:3]}" if bad else None


def cases() -> list[RecordCase]:
    out: list[RecordCase] = []
    body = messages(50)

    # -- encodings --------------------------------------------------------------------------------
    gb = csv_text(body).encode("gb18030")
    line_20 = gb.split(b"\n")[20]
    bad_gb = gb.replace(line_20, line_20.replace(b",sms,", b",sms,\x80\xff", 1), 1)
    out.append(
        RecordCase(
            "gb18030_one_invalid_byte",
            "marketing_messages",
            MESSAGES,
            bad_gb,
            quarantined=_only([message_key(20)]),
            checks=[_content_of(message_key(21), message_row(21)[4])],
            # (was xfail: record pipeline; the engine rewrite passes it)
        )
    )
    half_gbk = csv_text(messages(25)).encode("gbk")
    half_utf8 = csv_text(messages(25, start=26)).split("\n", 1)[1].encode("utf-8")
    out.append(
        RecordCase(
            "mixed_gbk_then_utf8",
            "marketing_messages",
            MESSAGES,
            half_gbk + half_utf8,
            quarantined=Counter(),
            checks=[
                _content_of(message_key(3), message_row(3)[4]),
                _content_of(message_key(40), message_row(40)[4]),
            ],
            # (was xfail: record pipeline; the engine rewrite passes it)
        )
    )
    out.append(
        RecordCase(
            "bom_and_crlf",
            "marketing_messages",
            MESSAGES,
            codecs.BOM_UTF8 + csv_text(body).replace("\n", "\r\n").encode(),
            quarantined=Counter(),
            checks=[_no_cr, _content_of(message_key(7), message_row(7)[4])],
        )
    )
    out.append(
        RecordCase(
            "lone_cr_line_ends",
            "marketing_messages",
            MESSAGES,
            csv_text(body).replace("\n", "\r").encode(),
            quarantined=Counter(),
            checks=[_no_cr],
            # (was xfail: record pipeline; the engine rewrite passes it)
        )
    )
    out.append(
        RecordCase(
            "cr_cr_lf_line_ends",
            "marketing_messages",
            MESSAGES,
            csv_text(body).replace("\n", "\r\r\n").encode(),
            quarantined=Counter(),
            checks=[_no_cr],
        )
    )

    # -- record boundaries ------------------------------------------------------------------------
    ragged = csv_text(body).split("\n")
    ragged[10] += ",extra"  # record 10: one field too many
    ragged[30] = ragged[30].rsplit(",", 2)[0]  # record 30: two fields short
    out.append(
        RecordCase(
            "ragged_rows",
            "marketing_messages",
            MESSAGES,
            "\n".join(ragged).encode(),
            quarantined=_only([message_key(10), message_key(30)]),
        )
    )
    # contents without commas, so no field is quoted and a stray quote has no partner
    long_body = [message_row(n, f"第{n}号活动开始了") for n in range(1, 601)]
    lines = csv_text(long_body).split("\n")
    # a quote opened at the start of an unquoted field of line 101, never closed
    lines[101] = lines[101].replace(",delivered,", ',"delivered,', 1)
    out.append(
        RecordCase(
            "unbalanced_quote_to_end_of_file",
            "marketing_messages",
            MESSAGES,
            "\n".join(lines).encode(),
            # (was xfail: record pipeline; the engine rewrite passes it)
        )
    )
    lines[161] = lines[161].replace(",delivered,", ',delivered",', 1)  # closed 60 lines later
    out.append(
        RecordCase(
            "quote_closed_sixty_lines_later",
            "marketing_messages",
            MESSAGES,
            "\n".join(lines).encode(),
            checks=[_not_loaded_merged(101, 161)],
            # (was xfail: record pipeline; the engine rewrite passes it)
        )
    )
    multiline = '第一行\n第二行, 含逗号\n"引号"结尾'
    rows = messages(20)
    rows[4] = message_row(5, multiline)
    out.append(
        RecordCase(
            "embedded_newlines_quoted",
            "marketing_messages",
            MESSAGES,
            csv_text(rows).encode(),
            quarantined=Counter(),
            checks=[_content_of(message_key(5), multiline)],
        )
    )
    rows = messages(20)
    rows[7] = message_row(8, "含有\x00空字节")
    out.append(
        RecordCase(
            "nul_byte_in_a_field",
            "marketing_messages",
            MESSAGES,
            csv_text(rows).encode(),
            checks=[_no_nul],
            # (was xfail: record pipeline; the engine rewrite passes it)
        )
    )
    huge = "长" * (10 * 1024 * 1024 // 3)  # a 10 MB field (UTF-8)
    rows = messages(10)
    rows[3] = message_row(4, huge)
    out.append(
        RecordCase(
            "ten_megabyte_field",
            "marketing_messages",
            MESSAGES,
            csv_text(rows).encode(),
            # (was xfail: record pipeline; the engine rewrite passes it)
        )
    )
    commas = csv_text(messages(10)).split("\n")
    commas[5] = commas[5] + "," * 200_000  # 200k empty fields on one line
    out.append(
        RecordCase(
            "line_of_200k_commas",
            "marketing_messages",
            MESSAGES,
            "\n".join(commas).encode(),
            quarantined=_only([message_key(5)]),
            # (was xfail: record pipeline; the engine rewrite passes it)
        )
    )

    # -- values -----------------------------------------------------------------------------------
    full = csv_text(messages(10)).split("\n")
    full[3] = full[3].translate(str.maketrans("0123456789M", "０１２３４５６７８９Ｍ"))
    out.append(
        RecordCase(
            "full_width_digits_in_key_and_dates",
            "marketing_messages",
            MESSAGES,
            "\n".join(full).encode(),
            quarantined=Counter(),
        )
    )
    dates = messages(12)
    foreign = ["2026-02-30T10:00:00", "2026-13-01T00:00:00", "20/11/2026 10:00", "2026年11月20日",
               "Nov 20 2026", "1700000000"]  # fmt: skip
    for i, value in enumerate(foreign):
        dates[i][5] = value
    out.append(
        RecordCase(
            "impossible_and_foreign_dates",
            "marketing_messages",
            MESSAGES,
            csv_text(dates).encode(),
            quarantined=_only([message_key(i) for i in range(1, 7)]),
        )
    )
    dupes = messages(10)
    dupes.append(message_row(3, "同一编号, 不同内容"))
    dupes.append(message_row(7, "又一条"))
    out.append(
        RecordCase(
            "duplicate_keys_different_contents",
            "marketing_messages",
            MESSAGES,
            csv_text(dupes).encode(),
            quarantined=_only([message_key(3), message_key(7)]),
        )
    )

    # -- headers ----------------------------------------------------------------------------------
    out.append(
        RecordCase(
            "unknown_header_column",
            "marketing_messages",
            MESSAGES,
            csv_text([[*r, "wx"] for r in body], [*MESSAGE_HEADER, "wechat_id"]).encode(),
            quarantined=Counter(),
        )
    )
    no_customer = [h for h in MESSAGE_HEADER if h != "customer_id"]
    out.append(
        RecordCase(
            "missing_required_column",
            "marketing_messages",
            MESSAGES,
            csv_text([[v for i, v in enumerate(r) if i != 1] for r in body], no_customer).encode(),
            refused="required columns missing from header: ['customer_id']",
        )
    )
    out.append(
        RecordCase(
            "missing_key_column",
            "marketing_messages",
            MESSAGES,
            csv_text([r[1:] for r in body], MESSAGE_HEADER[1:]).encode(),
            refused="key column 'message_id' missing from header",
            delivered=Counter(),
        )
    )
    out.append(
        RecordCase(
            "headerless_file",  # the first record read as a header names no contract column
            "marketing_messages",
            MESSAGES,
            csv_text(body).split("\n", 1)[1].encode(),
            refused="key column 'message_id' missing from header",
            delivered=Counter(),
        )
    )
    out.append(
        RecordCase(
            "duplicated_header_column",
            "marketing_messages",
            MESSAGES,
            csv_text([[*r, r[4]] for r in body], [*MESSAGE_HEADER, "content"]).encode(),
            refused="columns given twice",
        )
    )
    order = [4, 0, 9, 2, 1, 3, 5, 8, 7, 6]
    out.append(
        RecordCase(
            "reordered_header",
            "marketing_messages",
            MESSAGES,
            csv_text(
                [[r[i] for i in order] for r in body], [MESSAGE_HEADER[i] for i in order]
            ).encode(),
            quarantined=Counter(),
            checks=[_content_of(message_key(9), message_row(9)[4])],
        )
    )
    chinese = "客户编号,姓名,手机号\n" + "".join(
        f"C{n:08d},客户{n},1380000{n:04d}\n" for n in range(1, 31)
    )
    out.append(
        RecordCase(
            "chinese_header_gb18030",
            "customers",
            "customers.csv",
            chinese.encode("gb18030"),
            quarantined=Counter(),
            checks=[_customer_mobile("C00000007", "13800000007")],
        )
    )
    out.append(
        RecordCase("empty_file", "marketing_messages", MESSAGES, b"", refused="no header row")
    )
    out.append(
        RecordCase(
            "header_only",
            "marketing_messages",
            MESSAGES,
            csv_text([]).encode(),
            quarantined=Counter(),
        )
    )
    out.append(
        RecordCase("jsonl_empty_file", "reviews", "reviews.jsonl", b"", quarantined=Counter())
    )
    return out


def _no_nul(stored: Stored) -> str | None:
    bad = [r["message_id"] for r in stored.raw_rows if "\x00" in (r["content"] or "")]
    return f"NUL loaded into raw content of {bad}" if bad else None


def _not_loaded_merged(first: int, last: int):
    """No raw row may carry the text of the records the stray quote swallowed."""

    def check(stored: Stored) -> str | None:
        swallowed = {message_key(n) for n in range(first + 1, last)}
        merged = [
            r["message_id"]
            for r in stored.raw_rows
            if any(k in (r["content"] or "") for k in swallowed)
        ]
        return f"records merged into the content of {merged}" if merged else None

    return check


def _customer_mobile(key: str, mobile: str):
    def check(stored: Stored) -> str | None:
        got = [r["mobile"] for r in stored.raw_rows if r["customer_id"] == key]
        return None if got == [mobile] else f"{key}: mobile {got} != {mobile}"

    return check
