"""Tests for the demo CRM export generator: determinism, encodings, integrity, manifest truth."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import unicodedata
from pathlib import Path

import pytest

from crmguard.cli import main
from crmguard.config import landing_contract
from crmguard.demo_data.generator import generate

N = 300


def gb11643_check(body17: str) -> str:
    """Resident-ID check character, computed independently of the generator (MOD 11-2)."""
    return str((1 - 2 * int(body17, 13)) % 11).replace("10", "X")


def luhn_valid(number: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(number)):
        v = int(d) * (2 if i % 2 else 1)
        total += v - 9 if v > 9 else v
    return total % 10 == 0


BATCH = "2026-11-20"


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # every rule's violations planted: the extra customers columns are then present too
    return generate(
        tmp_path_factory.mktemp("landing"), customers=N, seed=11, violations="all"
    ).folder


@pytest.fixture(scope="module")
def manifest(batch: Path) -> dict:
    return json.loads((batch / "expected.json").read_text(encoding="utf-8"))


def _text(path: Path, encoding: str) -> str:
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    text = path.read_bytes().decode(codec, errors="surrogateescape")
    return text.removeprefix("\ufeff")


def read_csv(path: Path, encoding: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (start line, fields) per record, lines counted by '\\n' as the manifest does."""
    # csv treats a lone \r as a record end; \r\r\n rows are checked on the raw bytes instead
    text = _text(path, encoding).replace("\r\r\n", "\r\n")
    reader = csv.reader(re.split(r"(?<=\n)", text))
    header = next(reader)
    records, start = [], reader.line_num + 1
    for fields in reader:
        if fields:
            records.append((start, fields))
        start = reader.line_num + 1
    return header, records


def canonical_rows(batch: Path, manifest: dict, source: str) -> list[dict[str, str]]:
    contract = landing_contract().sources[source]
    name, entry = next((n, e) for n, e in manifest["files"].items() if e["source"] == source)
    if entry["format"] == "jsonl":
        rows = []
        for line in (batch / name).read_text(encoding="utf-8").splitlines():
            try:
                rows.append({k: "" if v is None else str(v) for k, v in json.loads(line).items()})
            except json.JSONDecodeError:
                continue
        return rows
    header, records = read_csv(batch / name, entry["encoding"])
    columns = [contract.canonical(h) for h in header]
    return [dict(zip(columns, f, strict=True)) for _, f in records if len(f) == len(columns)]


def test_same_arguments_give_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", customers=120, seed=5).folder
    b = generate(tmp_path / "b", customers=120, seed=5).folder
    c = generate(tmp_path / "c", customers=120, seed=6).folder
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert len(names) == 14  # 13 sources + expected.json
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "customers.csv").read_bytes() != (c / "customers.csv").read_bytes()
    assert (a / "marketing_messages.csv").read_bytes() != (
        c / "marketing_messages.csv"
    ).read_bytes()
    assert a.name == BATCH


def test_every_contract_source_is_written_once(manifest: dict) -> None:
    sources = [e["source"] for e in manifest["files"].values()]
    assert sorted(sources) == sorted(landing_contract().sources)
    assert any(e["format"] == "jsonl" for e in manifest["files"].values())
    assert manifest["generator"] == {
        "version": 1, "customers": N, "seed": 11, "batch_date": BATCH, "violations": "all"
    }  # fmt: skip


def test_encodings_are_as_declared(batch: Path, manifest: dict) -> None:
    declared = {e["encoding"] for e in manifest["files"].values()}
    assert declared == {"utf-8", "utf-8-sig", "gb18030"}
    for name, entry in manifest["files"].items():
        raw = (batch / name).read_bytes()
        if entry["encoding"] == "utf-8-sig":
            assert raw.startswith(b"\xef\xbb\xbf"), name
            raw.decode("utf-8")
        elif entry["encoding"] == "gb18030":
            text = raw.decode("gb18030")
            assert not raw.startswith(b"\xef\xbb\xbf")
            if re.search(r"[\u4e00-\u9fff]", text):
                with pytest.raises(UnicodeDecodeError):
                    raw.decode("utf-8")
        else:
            assert not raw.startswith(b"\xef\xbb\xbf"), name
            undecodable = manifest["bad_rows"]["undecodable_bytes"]["rows"]
            if not any(r["file"] == name for r in undecodable):
                raw.decode("utf-8")


def test_undecodable_rows_are_the_only_invalid_utf8_lines(batch: Path, manifest: dict) -> None:
    planted = manifest["bad_rows"]["undecodable_bytes"]["rows"]
    assert len(planted) >= 2
    for name in {r["file"] for r in planted}:
        bad_lines = []
        for number, line in enumerate((batch / name).read_bytes().split(b"\n"), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad_lines.append(number)
        assert bad_lines == sorted(r["line"] for r in planted if r["file"] == name)


def test_manifest_record_counts_match_the_files(batch: Path, manifest: dict) -> None:
    for name, entry in manifest["files"].items():
        if entry["format"] == "jsonl":
            records = len((batch / name).read_text(encoding="utf-8").splitlines())
        else:
            records = len(read_csv(batch / name, entry["encoding"])[1])
        assert records == entry["records"], name
        assert entry["expected_loaded"] + entry["expected_quarantined"] == records
    bad = sum(k["count"] for k in manifest["bad_rows"].values())
    assert bad == sum(e["expected_quarantined"] for e in manifest["files"].values())
    customers = manifest["files"]["customers.csv"]
    assert customers["expected_loaded"] == N


def _independent_counts(batch: Path, manifest: dict) -> dict[tuple[str, str], int]:
    """Find every planted kind in the files by inspection, without the generator's bookkeeping."""
    found: dict[tuple[str, str], int] = {}
    contract = landing_contract()

    def bump(kind: str, name: str) -> None:
        found[(kind, name)] = found.get((kind, name), 0) + 1

    for name, entry in manifest["files"].items():
        source = contract.sources[entry["source"]]
        raw = (batch / name).read_bytes()
        found[("crcrlf_line_end", name)] = raw.count(b"\r\r\n")
        if entry["format"] == "jsonl":
            for line in raw.decode("utf-8").splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    bump("malformed_json", name)
                    continue
                if any("，" in str(v) or "＂" in str(v) for v in row.values()):
                    bump("chinese_comma_or_quote", name)
            continue
        header, records = read_csv(batch / name, entry["encoding"])
        columns = [source.canonical(h) for h in header]
        if any(not h.isascii() for h in header):
            bump("alias_headers", name)
        if any(c not in source.columns for c in columns):
            bump("extra_columns", name)
        keys: dict[str, int] = {}
        for _, fields in records:
            if len(fields) != len(columns):
                bump("ragged_row", name)
                continue
            row = dict(zip(columns, fields, strict=True))
            keys[row[source.key]] = keys.get(row[source.key], 0) + 1
            if any("\n" in v for v in fields):
                bump("embedded_newline", name)
            if any("，" in v or "＂" in v for v in fields):
                bump("chinese_comma_or_quote", name)
            # the corruption's columns: rule planters write full-width claims and codes elsewhere
            if any(re.search("[０-９]", row.get(c, "")) for c in ("mobile", "id_number")):
                bump("fullwidth_digits", name)
            if any("\udcff" in v for v in fields):
                bump("undecodable_bytes", name)
            for column, spec in source.columns.items():
                value = unicodedata.normalize("NFKC", row.get(column, ""))
                if not value:
                    continue
                if spec.type == "enum":
                    allowed = {v.lower() for v in spec.values or []}
                    if value.lower() not in allowed:
                        bump("invalid_enum", name)
                elif spec.type == "date":
                    try:
                        dt.date.fromisoformat(value)
                    except ValueError:
                        bump("invalid_date", name)
                elif spec.type == "timestamp":
                    try:
                        dt.datetime.fromisoformat(value)
                    except ValueError:
                        bump("invalid_timestamp", name)
        for count in keys.values():
            for _ in range(count - 1):
                bump("duplicate_key", name)
    return {k: v for k, v in found.items() if v}


def test_every_planted_kind_is_present_and_matches_inspection(batch: Path, manifest: dict) -> None:
    planted: dict[tuple[str, str], int] = {}
    for section in ("bad_rows", "tricky_valid"):
        for kind, entry in manifest[section].items():
            assert entry["count"] == len(entry["rows"])
            assert entry["count"] >= 1, kind
            for row in entry["rows"]:
                planted[(kind, row["file"])] = planted.get((kind, row["file"]), 0) + 1
    for kind, entry in manifest["bad_rows"].items():
        assert entry["count"] >= 2, kind
    assert _independent_counts(batch, manifest) == planted


def test_manifest_lines_point_at_the_planted_records(batch: Path, manifest: dict) -> None:
    contract = landing_contract()
    for section in ("bad_rows", "tricky_valid"):
        for kind, entry in manifest[section].items():
            for row in entry["rows"]:
                file = manifest["files"][row["file"]]
                lines = _text(batch / row["file"], file["encoding"]).split("\n")
                if row["key"] is None:
                    assert row["line"] == 1
                    continue
                if file["format"] == "jsonl" or kind == "ragged_row":
                    assert row["key"] in lines[row["line"] - 1], (kind, row)
                else:
                    starts = dict(read_csv(batch / row["file"], file["encoding"])[1])
                    assert row["key"] in starts[row["line"]], (kind, row)
                if kind == "crcrlf_line_end":
                    assert lines[row["line"] - 1].endswith("\r\r")
        # the loser of each duplicate is the earlier copy (older updated_at for customers)
    for row in manifest["bad_rows"]["duplicate_key"]["rows"]:
        file = manifest["files"][row["file"]]
        source = contract.sources[file["source"]]
        header, records = read_csv(batch / row["file"], file["encoding"])
        columns = [source.canonical(h) for h in header]
        copies = [
            (line, dict(zip(columns, f, strict=True)))
            for line, f in records
            if len(f) == len(columns) and f[columns.index(source.key)] == row["key"]
        ]
        assert len(copies) == 2
        loser = next(c for line, c in copies if line == row["line"])
        winner = next(c for line, c in copies if line != row["line"])
        if source.order_by:
            assert loser[source.order_by] < winner[source.order_by]
        else:
            assert row["line"] < next(line for line, _ in copies if line != row["line"])


def _rejected_new_keys(manifest: dict) -> set[str]:
    # every reject kind but duplicate_key plants a record under a key of its own
    return {
        r["key"]
        for kind, entry in manifest["bad_rows"].items()
        if kind != "duplicate_key"
        for r in entry["rows"]
    }


def test_referential_integrity(batch: Path, manifest: dict) -> None:
    bad = _rejected_new_keys(manifest)
    customers = {
        r["customer_id"]
        for r in canonical_rows(batch, manifest, "customers")
        if r["customer_id"] not in bad
    }
    assert len(customers) == N
    for source in ("consents", "marketing_messages", "orders", "complaints", "contracts",
                   "reviews", "dsr_requests"):  # fmt: skip
        rows = canonical_rows(batch, manifest, source)
        assert {r["customer_id"] for r in rows} <= customers, source
    campaigns = {r["campaign_id"] for r in canonical_rows(batch, manifest, "campaigns")}
    messages = canonical_rows(batch, manifest, "marketing_messages")
    assert {r["campaign_id"] for r in messages} <= campaigns
    templates = {r["template_id"] for r in canonical_rows(batch, manifest, "contract_templates")}
    assert {r["template_id"] for r in canonical_rows(batch, manifest, "contracts")} <= templates
    order_owner = {
        r["order_id"]: r["customer_id"] for r in canonical_rows(batch, manifest, "orders")
    }
    reviews = canonical_rows(batch, manifest, "reviews")
    assert reviews
    for review in reviews:
        assert order_owner[review["order_id"]] == review["customer_id"]


def test_customer_values_are_realistic_and_checksums_valid(batch: Path, manifest: dict) -> None:
    bad = _rejected_new_keys(manifest)
    rows = [r for r in canonical_rows(batch, manifest, "customers") if r["customer_id"] not in bad]
    resident = [r for r in rows if r["id_type"] == "RESIDENT_ID"]
    assert len(resident) > 0.8 * len(rows)
    assert {r["id_type"] for r in rows} >= {"RESIDENT_ID", "PASSPORT"}
    for r in resident:
        number = unicodedata.normalize("NFKC", r["id_number"])
        assert re.fullmatch(r"\d{17}[\dX]", number), number
        assert gb11643_check(number[:17]) == number[17]
        assert number[6:14] == r["birth_date"].replace("-", "")
        if r["gender"] in ("男", "女"):
            assert int(number[16]) % 2 == (1 if r["gender"] == "男" else 0)
    # deletion tombstones (DATA-05 near-misses) keep the key, status and dates only
    tombstones = [r for r in rows if r["status"] == "closed" and not r["name"] and not r["mobile"]]
    assert len(tombstones) <= 2
    for r in rows:
        if r in tombstones:
            continue
        assert re.fullmatch(r"1[3-9]\d{9}", unicodedata.normalize("NFKC", r["mobile"]))
        # sensitive and extra columns hold values only for some customers (CONS-03, DATA-01)
        card = r["bank_card_no"]
        if card:
            assert card.startswith("62") and len(card) == 19
            assert luhn_valid(card)
        if r["gps_location"]:
            lat, lng = (float(v) for v in r["gps_location"].split(","))
            assert 18 < lat < 54 and 73 < lng < 135
        assert r["created_at"][:10] < BATCH and r["updated_at"] >= r["created_at"][:19]
        assert (r["status"] == "closed") == bool(r["closed_at"])
        assert r["annual_income"] == "" or re.fullmatch(r"\d+\.\d\d", r["annual_income"])
    assert sum(bool(r["bank_card_no"]) for r in rows) > 0
    assert sum(bool(r["gps_location"]) for r in rows) > 0
    regions = {r["storage_region"] for r in rows}
    assert "cn-north-1" in regions or "cn-east-2" in regions
    assert any(r["created_at"].endswith("+08:00") for r in rows)


def test_checksum_helpers_match_known_numbers() -> None:
    from crmguard.demo_data.values import luhn_complete, resident_id_check

    assert resident_id_check("11010519491231002") == "X" == gb11643_check("11010519491231002")
    assert luhn_complete(["7992739871"]) == ["79927398713"]
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")


def test_cli_writes_batch_and_reports_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["generate", "--out", str(tmp_path), "--customers", "50", "--seed", "3"])
    assert code == 0
    out = capsys.readouterr().out
    assert "customers.csv" in out and "13 files" in out
    assert (tmp_path / BATCH / "expected.json").is_file()
    assert not list((tmp_path / BATCH).glob("*.tmp"))
    assert main(["generate", "--out", str(tmp_path), "--batch-date", "2026-13-01"]) == 2
    assert main(["generate", "--out", str(tmp_path), "--violations", "PI-99"]) == 2
    assert "PI-99" in capsys.readouterr().err


def test_ragged_rows_have_both_too_many_and_too_few_fields(batch: Path, manifest: dict) -> None:
    widths = set()
    for row in manifest["bad_rows"]["ragged_row"]["rows"]:
        file = manifest["files"][row["file"]]
        header, records = read_csv(batch / row["file"], file["encoding"])
        fields = dict(records)[row["line"]]
        assert len(fields) != len(header)
        widths.add(len(fields) > len(header))
    assert widths == {True, False}
