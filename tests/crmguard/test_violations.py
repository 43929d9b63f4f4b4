"""Planted rule violations: an independent pandas checker, written from the rule text, finds
nothing on a `--violations none` batch and exactly the manifest's subjects on a `--violations all`
batch; plus determinism, manifest shape, the previous-day batch and the DATA-02 column."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from crmguard.config import compliance_rules, landing_contract, working_calendar
from crmguard.demo_data.generator import generate

N = 1500
BATCH = "2026-11-20"
AS_OF = pd.Timestamp(BATCH) + pd.Timedelta(days=1)  # the end of the batch date
# the rules this checker judges (cheap ones, from the spec text; never the planter code)
CHECKED = (
    "CONS-01", "CONS-02", "MKT-01", "MKT-02", "MKT-03", "MKT-05", "CUS-01", "CUS-02", "CUS-03",
    "CUS-04", "CON-01", "CON-02", "CON-04", "DATA-01", "DATA-03", "DATA-05", "DATA-06", "CONS-03",
)  # fmt: skip
# PIPL-sensitive customers columns not processed for KYC (the brief's list, from the policy text)
SENSITIVE = ("gps_location", "credit_score", "annual_income", "bank_card_no")
CHANNEL_PURPOSE = {
    "sms": "marketing_sms",
    "email": "marketing_email",
    "app_push": "marketing_push",
    "call": "marketing_call",
}


# the spec's personal fields of a customers row (a deletion tombstone keeps none of them)
PERSONAL = (
    "name", "id_number", "mobile", "email", "address", "birth_date", "gender", "marital_status",
    "children_info", "gps_location", "credit_score", "annual_income", "bank_card_no", "wechat_id",
)  # fmt: skip


def nf(text: str) -> str:
    """The rule pack's comparison form, from its text: NFKC, trimmed, lower-cased."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def _rejected_key(key: str) -> bool:
    # rows the generator plants for ingestion to reject carry fresh keys like OX000001
    return re.fullmatch(r"[A-Z]+X\d{6}", key) is not None


def read_source(folder: Path, source: str) -> pd.DataFrame:
    """One landing file as strings with canonical column names, minus rows ingestion rejects."""
    manifest = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    name, entry = next((n, e) for n, e in manifest["files"].items() if e["source"] == source)
    contract = landing_contract().sources[source]
    raw = (folder / name).read_bytes()
    if entry["format"] == "jsonl":
        rows = []
        for line in raw.decode("utf-8", errors="replace").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        df = pd.DataFrame(rows, columns=list(contract.columns)).fillna("").astype(str)
    else:
        codec = "utf-8" if entry["encoding"] == "utf-8-sig" else entry["encoding"]
        text = raw.decode(codec, errors="replace").removeprefix("\ufeff")
        text = text.replace("\r\r\n", "\r\n")
        # index_col=False: a ragged first record must not turn the key into the index
        df = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            on_bad_lines="skip",
            index_col=False,
        )
        df.columns = [contract.canonical(c) for c in df.columns]
    if df.empty:
        return df
    df = df[~df[contract.key].map(_rejected_key)]
    # a duplicated key: the later copy is the one kept
    return df.drop_duplicates(contract.key, keep="last").reset_index(drop=True)


def t(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.str.replace("+08:00", "", regex=False), errors="coerce")


def check(folder: Path) -> dict[str, set[str]]:
    """Findings per rule, judged from the files with pandas, straight from the rule text."""
    rules = compliance_rules().parameters
    found: dict[str, set[str]] = {r: set() for r in CHECKED}

    consents = read_source(folder, "consents")
    consents["granted"] = t(consents["granted_at"])
    consents["withdrawn"] = t(consents["withdrawn_at"])
    messages = read_source(folder, "marketing_messages")
    messages["sent"] = t(messages["sent_at"])
    messages["purpose"] = messages["channel"].map(CHANNEL_PURPOSE)
    joined = messages.merge(consents, on=["customer_id", "purpose"], how="left")
    valid = (joined["granted"] <= joined["sent"]) & (
        joined["withdrawn"].isna() | (joined["withdrawn"] > joined["sent"])
    )
    ok = set(joined.loc[valid, "message_id"])
    found["CONS-01"] = set(messages["message_id"]) - ok
    after_withdrawal = joined["withdrawn"].notna() & (joined["withdrawn"] <= joined["sent"])
    no_link = messages["channel"].isin(rules.mkt_02.unsubscribe_required_channels) & (
        messages["has_unsubscribe_link"] != "true"
    )
    found["MKT-02"] = set(joined.loc[after_withdrawal, "message_id"]) | set(
        messages.loc[no_link, "message_id"]
    )
    for mid, content in zip(messages["message_id"], messages["content"], strict=True):
        content = nf(content)
        for phrase in rules.mkt_01.allowed_phrases:
            content = content.replace(nf(phrase), "")
        if any(nf(term) in content for term in rules.mkt_01.absolute_terms):
            found["MKT-01"].add(mid)

    customers = read_source(folder, "customers")
    created = t(customers["created_at"]).dt.date
    birth = pd.to_datetime(customers["birth_date"], errors="coerce").dt.date
    guardian = consents[consents["purpose"] == rules.cons_02.guardian_purpose]
    first_guardian = guardian.groupby("customer_id")["granted"].min()
    for cid, c, b in zip(customers["customer_id"], created, birth, strict=True):
        age = c.year - b.year - ((c.month, c.day) < (b.month, b.day))
        if age < rules.cons_02.minimum_age:
            g = first_guardian.get(cid)
            created_at = t(customers.loc[customers["customer_id"] == cid, "created_at"]).iloc[0]
            if g is None or pd.isna(g) or g > created_at:
                found["CONS-02"].add(cid)

    in_force = consents[
        (consents["purpose"] == rules.cons_03.consent_purpose)
        & consents["granted"].notna()
        & consents["withdrawn"].isna()
    ]
    sensitive = [c for c in SENSITIVE if c in customers.columns]
    holds = (customers[sensitive] != "").any(axis=1)
    found["CONS-03"] = set(customers.loc[holds, "customer_id"]) - set(in_force["customer_id"])
    from crmguard.config import field_purposes, organisation

    purposes = field_purposes()
    for column in customers.columns:
        if (customers[column] != "").any() and not purposes.purposes("customers", column):
            found["DATA-01"].add(f"customers.{column}")
    mainland = {nf(r) for r in organisation().mainland_regions}
    for source, frame in (
        ("customers", customers),
        ("marketing_messages", messages),
        ("contracts", read_source(folder, "contracts")),
    ):
        key = landing_contract().sources[source].key
        offshore = ~frame["storage_region"].map(nf).isin(mainland)
        found["DATA-03"] |= {f"{source}:{k}" for k in frame.loc[offshore, key]}

    orders = read_source(folder, "orders")
    tiers = {nf(k): v for k, v in rules.mkt_03.member_tier_factors.items()}
    promos = {nf(k): v for k, v in rules.mkt_03.promo_code_factors.items()}
    tolerance = Decimal(str(rules.mkt_03.tolerance_cny))
    for row in orders.itertuples():
        factor = Decimal(str(tiers[nf(row.member_tier_at_order)]))
        if row.promo_code:
            factor *= Decimal(str(promos.get(nf(row.promo_code), 1)))
        explained = (Decimal(row.list_price) * factor).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if abs(Decimal(row.charged_price) - explained) > tolerance:
            found["MKT-03"].add(row.order_id)
    p2 = rules.cus_02
    for row in orders.itertuples():
        if row.sales_channel not in p2.remote_channels or row.return_status != "rejected":
            continue
        delivered = t(pd.Series([row.delivered_at])).iloc[0]
        requested = t(pd.Series([row.return_requested_at])).iloc[0]
        days = (requested.date() - delivered.date()).days
        if days > p2.window_days:
            continue
        exception = p2.category_exceptions.get(row.product_category)
        if row.return_reject_reason not in (*p2.always_valid_reasons, exception):
            found["CUS-02"].add(row.order_id)

    expenses = read_source(folder, "visit_expenses")
    for row in expenses.itertuples():
        limit = rules.mkt_05.per_visit_limit_cny.get(row.expense_type)
        if not row.invoice_no or (limit is not None and Decimal(row.amount) > Decimal(limit)):
            found["MKT-05"].add(row.expense_id)

    complaints = read_source(folder, "complaints")
    received, first = t(complaints["received_at"]), t(complaints["first_response_at"])
    for i, row in complaints.iterrows():
        limit = pd.Timedelta(hours=rules.cus_01.first_response_hours[row["severity"]])
        late = (
            (first[i] - received[i] > limit)
            if pd.notna(first[i])
            else (AS_OF - received[i] > limit)
        )
        unconfirmed = bool(row["resolved_at"]) and row["customer_confirmed"] != "是"
        if late or unconfirmed:
            found["CUS-01"].add(row["complaint_id"])

    incidents = read_source(folder, "security_incidents")
    p3 = rules.cus_03
    for _, row in incidents.iterrows():
        detected = t(pd.Series([row["detected_at"]])).iloc[0]
        late = []
        if row["level"] in p3.regulator_levels:
            late.append((row["regulator_reported_at"], p3.regulator_hours))
        if int(row["affected_customers"]) > 0:
            late.append((row["customers_notified_at"], p3.customer_notice_hours))
        for when, hours in late:
            at = t(pd.Series([when])).iloc[0] if when else AS_OF  # missing counts as late
            if at - detected > pd.Timedelta(hours=hours):
                found["CUS-03"].add(row["incident_id"])

    reviews = read_source(folder, "reviews")
    bad = (
        (reviews["rating"].astype(int) <= rules.cus_04.max_negative_rating)
        & reviews["status"].isin(rules.cus_04.moderated_statuses)
        & reviews["moderation_reason"].isin(rules.cus_04.invalid_reasons)
    )
    found["CUS-04"] = set(reviews.loc[bad, "review_id"])

    templates = read_source(folder, "contract_templates")
    for row in templates.itertuples():
        for clause in rules.con_01.unfair_clauses:
            if nf(clause) in nf(row.clause_text):
                found["CON-01"].add(f"{row.template_id}:{clause}")

    contracts = read_source(folder, "contracts")
    e_signed = contracts["sign_method"] == rules.con_02.method
    missing = (
        (contracts["signer_identity_verified"] != "true")
        | (contracts["timestamp_token"] == "")
        | (contracts["document_sha256"] == "")
    )
    found["CON-02"] = set(contracts.loc[e_signed & missing, "contract_id"])
    shipped_day = t(contracts["shipped_at"]).dt.date
    limit = dt.date.fromisoformat(BATCH) - dt.timedelta(days=rules.con_04.acceptance_days)
    waiting = (contracts["status"] == "shipped") & (contracts["accepted_at"] == "")
    found["CON-04"] = {
        cid
        for cid, w, d in zip(contracts["contract_id"], waiting, shipped_day, strict=True)
        if w and d < limit
    }

    cal = working_calendar()
    dsr = read_source(folder, "dsr_requests")
    for row in dsr.itertuples():
        received_day = t(pd.Series([row.received_at])).iloc[0].date()
        deadline = cal.add_working_days(received_day, rules.data_05.deadline_working_days)
        if row.completed_at:
            if t(pd.Series([row.completed_at])).iloc[0].date() > deadline:
                found["DATA-05"].add(row.request_id)
        elif deadline < dt.date.fromisoformat(BATCH):
            found["DATA-05"].add(row.request_id)
        if row.status == "rejected" and not row.rejection_reason:
            found["DATA-05"].add(row.request_id)
    # after a completed deletion no personal data remains: no personal field left in the
    # customers row (a tombstone keeps the key and status), no message sent after it
    personal = [c for c in PERSONAL if c in customers.columns]
    holding = set(customers.loc[(customers[personal] != "").any(axis=1), "customer_id"])
    deleted = dsr[(dsr["request_type"] == rules.data_05.deletion_request_type)
                  & (dsr["status"] == "completed")]  # fmt: skip
    for row in deleted.itertuples():
        done = t(pd.Series([row.completed_at])).iloc[0]
        theirs = messages[messages["customer_id"] == row.customer_id]
        if row.customer_id in holding or (theirs["sent"] > done).any():
            found["DATA-05"].add(row.request_id)

    declared = field_purposes().sources["customers"]
    campaigns = read_source(folder, "campaigns")
    for row in campaigns.itertuples():
        for column in row.data_fields_used.split(","):
            if rules.data_06.required_purpose not in declared.get(column, []):
                found["DATA-06"].add(f"{row.campaign_id}:{column}")
    return found


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("violations")
    generate(root / "none", customers=N, seed=21, violations="none")
    generate(root / "all", customers=N, seed=21, violations="all")
    return root


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "expected.json").read_text(encoding="utf-8"))


def test_clean_batch_violates_no_checked_rule(landing: Path) -> None:
    found = check(landing / "none" / BATCH)
    assert {r: sorted(s)[:5] for r, s in found.items() if s} == {}
    violations = _manifest(landing / "none" / BATCH)["violations"]
    assert violations["option"] == "none" and violations["previous_batch"] is None
    assert all(e["count"] == 0 and e["subjects"] == [] for e in violations["rules"].values())
    assert not (landing / "none" / "2026-11-19").exists()


def test_checker_finds_exactly_the_planted_subjects(landing: Path) -> None:
    found = check(landing / "all" / BATCH)
    rules = _manifest(landing / "all" / BATCH)["violations"]["rules"]
    for rule_id in CHECKED:
        planted = set(rules[rule_id]["subjects"])
        assert planted, rule_id
        assert found[rule_id] == planted, rule_id
        # near-misses are never findings
        assert not (set(rules[rule_id]["near_misses"]["subjects"]) & found[rule_id]), rule_id


def test_manifest_lists_every_evaluated_rule_with_near_misses(landing: Path) -> None:
    violations = _manifest(landing / "all" / BATCH)["violations"]
    expected_ids = {
        r for r, d in compliance_rules().rules.items() if d.evaluated and d.data_source == "landing"
    }
    assert set(violations["rules"]) == expected_ids
    assert "FIN-01" not in violations["rules"]
    assert violations["option"] == "all" and violations["as_of"] == BATCH
    assert violations["previous_batch"] == "2026-11-19"
    for rule_id, entry in violations["rules"].items():
        assert entry["count"] == len(entry["subjects"]) >= 1, rule_id
        assert entry["subjects"] == sorted(entry["subjects"])
    kinds = {k for e in violations["rules"].values() for k in e["near_misses"]["kinds"]}
    assert kinds >= {
        "sent_at_grant_second",
        "third_working_day_across_weekend",
        "third_working_day_across_makeup_saturday",
        "explained_by_tier_and_promo",
        "custom_made_exception",
        "requested_after_window",
        "exactly_at_limit",
        "allowed_phrase",
        "negative_hidden_for_spam",
        "app_push_without_link",
        "retention_over",
        "answered_at_exactly_sla_high",
        "reported_at_exactly_limit",
        "turns_minimum_age_on_created_date",
        "below_100000_ordinary",
        "deletion_tombstone",
        "full_width_digits_only",
        "claim_in_campaign_name_only",
        "promo_code_written_full_width",
        "mainland_region_in_capitals",
    }
    # overlaps: a message sent after withdrawal is a finding of both CONS-01 and MKT-02
    rules = violations["rules"]
    assert set(rules["MKT-02"]["subjects"]) & set(rules["CONS-01"]["subjects"])
    assert rules["DATA-04"]["subjects"] and all(
        re.fullmatch(r"\d{4}:[A-Z]{2}", s) for s in rules["DATA-04"]["subjects"]
    )


def test_planted_counts_are_small(landing: Path) -> None:
    manifest = _manifest(landing / "all" / BATCH)
    records = {e["source"]: e["records"] for e in manifest["files"].values()}
    rules = manifest["violations"]["rules"]
    for rule_id, units in (
        ("CONS-01", "marketing_messages"),
        ("MKT-01", "marketing_messages"),
        ("MKT-03", "orders"),
        ("CUS-02", "orders"),
        ("CONS-03", "customers"),
    ):
        assert 2 <= rules[rule_id]["count"] <= max(3, 0.01 * records[units]), rule_id


def test_previous_batch_holds_the_vanished_rows(landing: Path) -> None:
    current, previous = landing / "all" / BATCH, landing / "all" / "2026-11-19"
    rules = _manifest(current)["violations"]["rules"]
    prev_manifest = _manifest(previous)
    assert prev_manifest["violations"] is None and prev_manifest["violations_note"]
    gone = {
        f"{source}:{key}"
        for source in ("orders", "marketing_messages", "contracts")
        for key in set(read_source(previous, source).iloc[:, 0])
        - set(read_source(current, source).iloc[:, 0])
    }
    vanished = set(rules["MKT-04"]["subjects"]) | set(rules["MKT-04"]["near_misses"]["subjects"])
    vanished |= {f"contracts:{k}" for k in rules["CON-03"]["subjects"]}
    vanished |= {f"contracts:{k}" for k in rules["CON-03"]["near_misses"]["subjects"]}
    assert gone == vanished
    # otherwise the same rows: the rest of each file is identical record for record
    cur = read_source(current, "orders").set_index("order_id")
    prev = read_source(previous, "orders").set_index("order_id").loc[cur.index]
    assert cur.equals(prev)


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", customers=200, seed=5, violations="all")
    b = generate(tmp_path / "b", customers=200, seed=5, violations="all")
    for folder_a, folder_b in ((a.folder, b.folder), (a.previous_folder, b.previous_folder)):
        names = sorted(p.name for p in folder_a.iterdir())
        assert names == sorted(p.name for p in folder_b.iterdir())
        for name in names:
            assert (folder_a / name).read_bytes() == (folder_b / name).read_bytes(), name
    rules = json.loads(a.manifest.read_text(encoding="utf-8"))["violations"]["rules"]
    assert all(e["count"] >= 1 for e in rules.values())


def test_one_rule_plants_only_that_rule(tmp_path: Path) -> None:
    result = generate(tmp_path, customers=200, seed=5, violations="CUS-04")
    rules = json.loads(result.manifest.read_text(encoding="utf-8"))["violations"]["rules"]
    assert {r for r, e in rules.items() if e["count"]} == {"CUS-04"}
    assert result.previous_folder is None
    with pytest.raises(ValueError, match="no planter for FIN-01"):
        generate(tmp_path, customers=200, seed=5, violations="FIN-01")


def test_data_02_column_is_not_classifiable(landing: Path, tmp_path: Path) -> None:
    """The planted column, classified by the real classifier, is unclassified or unsure."""
    from classification.catalog import classify_paths

    customers = read_source(landing / "all" / BATCH, "customers")
    column = "ext_attr_code"
    sample = customers[["customer_id", column, "mobile"]]
    path = tmp_path / "customers.csv"
    sample.to_csv(path, index=False)
    tables = classify_paths([str(path)])["tables"]
    entry = next(iter(tables.values()))[column]
    threshold = 0.8
    assert entry["entity"] == "UNCLASSIFIED" or entry["confidence"] < threshold, entry
    assert next(iter(tables.values()))["mobile"]["entity"] == "CN_MOBILE"


def test_planted_batches_ingest_as_their_manifests_say(crmguard_home: Path, tmp_path: Path) -> None:
    """Planting never touches a quarantined row: both days load exactly as their manifests say."""
    from crmguard.ingest import discover_batch, ingest_file

    out = tmp_path / "landing"
    result = generate(out, customers=300, seed=11, violations="all")
    for folder in (result.folder, result.previous_folder):
        expected = _manifest(folder)["files"]
        got = {
            r["file"]: (r["rows_loaded"], r["rows_quarantined"])
            for r in (
                ingest_file(str(out), folder.name, f["file"])
                for f in discover_batch(str(out), folder.name)
            )
        }
        want = {n: (e["expected_loaded"], e["expected_quarantined"]) for n, e in expected.items()}
        assert got == want, folder.name


def test_end_to_end_sized_batch_matches_the_checker(tmp_path: Path) -> None:
    """The end-to-end test's batch (200 customers, seed 7): planted = checked, at least one each."""
    result = generate(tmp_path, customers=200, seed=7, violations="all")
    found = check(result.folder)
    rules = _manifest(result.folder)["violations"]["rules"]
    for rule_id in CHECKED:
        assert found[rule_id] == set(rules[rule_id]["subjects"]), rule_id
    assert all(e["count"] >= 1 for e in rules.values())
