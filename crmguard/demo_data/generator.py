"""Generating one demo landing batch: every contract source, streamed in chunks, plus manifest."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from faker import Faker

from crmguard.config import (
    compliance_rules,
    config_path,
    field_purposes,
    landing_contract,
    organisation,
    working_calendar,
)
from crmguard.demo_data import DEFAULT_BATCH_DATE, activity, values
from crmguard.demo_data.activity import Batch
from crmguard.demo_data.corruptions import plan_file, reject_builder, trick_applier
from crmguard.demo_data.customers import DAY, CustomerBase, customer_base, customer_chunk
from crmguard.demo_data.export_file import ChunkPlan, ExportFile
from crmguard.demo_data.manifest import build_manifest, write_manifest
from crmguard.demo_data.profile import DemoDataProfile, demo_profile
from crmguard.demo_data.violations import (
    PlantContext,
    plant,
    selected_rules,
    sensitive_columns,
)

# rows per streamed chunk: bounds memory at any batch size; part of the seeding, so fixed
CHUNK_ROWS = 100_000

RowMaker = Callable[[Batch, np.random.Generator, int, int], dict[str, list[str]]]

# source -> (row maker, key prefix); customers are made separately (Faker per row)
ROW_MAKERS: dict[str, tuple[RowMaker, str]] = {
    "consents": (activity.consents, "CS"),
    "campaigns": (activity.campaigns, "CP"),
    "marketing_messages": (activity.marketing_messages, "M"),
    "orders": (activity.orders, "O"),
    "complaints": (activity.complaints, "TS"),
    "contract_templates": (activity.contract_templates, "T"),
    "contracts": (activity.contracts, "HT"),
    "visit_expenses": (activity.visit_expenses, "VE"),
    "reviews": (activity.reviews, "R"),
    "dsr_requests": (activity.dsr_requests, "DSR"),
    "data_transfers": (activity.data_transfers, "DT"),
    "security_incidents": (activity.security_incidents, "SI"),
}


@dataclass(frozen=True)
class GenerationResult:
    folder: Path
    manifest: Path
    records: dict[str, int]  # file name -> data records written
    elapsed_seconds: float
    previous_folder: Path | None = None  # the previous day's extract, when one was written


def _batch_start(batch_date: str) -> int:
    day = dt.date.fromisoformat(batch_date)
    return (day - dt.date(1970, 1, 1)).days * DAY


def _pools(
    profile: DemoDataProfile, faker: Faker, rng: np.random.Generator
) -> dict[str, list[str]]:
    """Pre-generated value pools: per-row Faker is far too slow for millions of child rows."""
    names = [faker.name() for _ in range(2000)]
    mobiles = [f"1{d}" for d in values.digit_strings(rng, 200, 10)]
    births = values.dates(rng.integers(-7000, 18000, 500))
    ids = [
        values.resident_ids([f"110105{b.replace('-', '')}{d}"])[0]
        for b, d in zip(births, values.digit_strings(rng, 500, 3), strict=True)
    ]
    ph = profile.phrases

    def with_pii(texts: list[str], size: int) -> list[str]:
        # a share of free text names a person or a mobile number (FREE_TEXT_PII downstream)
        out = []
        for i in range(size):
            text = texts[i % len(texts)]
            if rng.random() < profile.free_text_pii_share:
                text += f" 联系人{names[i % len(names)]} 电话{mobiles[i % len(mobiles)]}"
            out.append(text)
        return out

    messages = [
        f"{m} {ph['unsubscribe_note'][i % len(ph['unsubscribe_note'])]}"
        for i, m in enumerate(with_pii(ph["message"], 400))
    ]
    return {
        "names": names,
        "resident_ids": ids,
        "companies": [faker.company() for _ in range(300)],
        "message": messages,
        "complaint": with_pii(ph["complaint"], 400),
        "review": with_pii(ph["review"], 400),
        "resolution": ph["resolution"],
        "campaign": ph["campaign"],
    }


def _sizes(profile: DemoDataProfile, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    per = profile.per_customer
    owners = {
        "consents": activity.owners_for(per.consents, n, rng),
        "orders": activity.owners_for(per.orders, n, rng),
        "complaints": activity.owners_for(per.complaints, n, rng),
        "contracts": activity.owners_for(per.contracts, n, rng),
        "dsr_requests": activity.owners_for(per.dsr_requests, n, rng),
    }
    # a tiny batch still gets a few rows of each source, so every rule has units to plant in
    for source, minimum in profile.minimum_rows.items():
        short = minimum - len(owners[source])
        if short > 0:
            extra = rng.integers(0, n, short)
            owners[source] = np.sort(np.concatenate([owners[source], extra]))
    return owners


def _rules(batch_start: int, customers: int) -> activity.Rules:
    """The rule parameters clean construction needs, from config (rules.yaml and friends)."""
    rules = compliance_rules().parameters
    cal = working_calendar()
    first_day = dt.date(min(cal.covered_years), 1, 1)
    last_day = dt.date(max(cal.covered_years), 12, 31) - dt.timedelta(days=31)
    batch_day = dt.date(1970, 1, 1) + dt.timedelta(days=batch_start // DAY)
    deadlines = {}
    day = first_day
    while day <= min(batch_day, last_day):
        deadlines[(day - dt.date(1970, 1, 1)).days] = (
            cal.add_working_days(day, rules.data_05.deadline_working_days) - dt.date(1970, 1, 1)
        ).days
        day += dt.timedelta(days=1)
    always = rules.cus_02.always_valid_reasons
    valid = {"": list(always)} | {
        cat: [*always, reason] for cat, reason in rules.cus_02.category_exceptions.items()
    }
    marketing = rules.data_06.required_purpose
    declared = field_purposes().sources["customers"]
    return activity.Rules(
        channel_purpose=dict(consent_channels()),
        absolute_terms=rules.mkt_01.absolute_terms,
        allowed_phrases=rules.mkt_01.allowed_phrases,
        tier_factors=rules.mkt_03.member_tier_factors,
        promo_factors=rules.mkt_03.promo_code_factors,
        visit_limits=rules.mkt_05.per_visit_limit_cny,
        response_hours=dict(rules.cus_01.first_response_hours),
        remote_channels=rules.cus_02.remote_channels,
        valid_reasons=valid,
        regulator_levels=rules.cus_03.regulator_levels,
        regulator_hours=(
            rules.cus_03.regulator_hours_ciio
            if organisation().critical_information_infrastructure_operator
            else rules.cus_03.regulator_hours
        ),
        notice_hours=rules.cus_03.customer_notice_hours,
        negative_rating=rules.cus_04.max_negative_rating,
        invalid_review_reasons=rules.cus_04.invalid_reasons,
        unfair_clauses=rules.con_01.unfair_clauses,
        marketing_columns=[c for c, ps in declared.items() if marketing in ps],
        deadline_days=deadlines,
        first_calendar_day=(first_day - dt.date(1970, 1, 1)).days,
        acceptance_days=rules.con_04.acceptance_days,
        unsubscribe_channels=rules.mkt_02.unsubscribe_required_channels,
    )


def consent_channels() -> dict[str, str]:
    """Message channel -> consent purpose (config/consent_channels.yaml, as rules.yaml names)."""
    name = compliance_rules().parameters.cons_01.channels_file
    return dict(yaml.safe_load(config_path(name).read_text(encoding="utf-8"))["channels"])


def _consents(b: Batch, rng: np.random.Generator) -> None:
    """One consent per customer and purpose (no ambiguity over which one a message relies on)."""
    owner = b.owners["consents"]
    labels = list(activity.CONSENT_PURPOSES)
    purpose_ix = rng.choice(
        len(labels),
        size=len(owner),
        p=np.array(list(activity.CONSENT_PURPOSES.values()))
        / sum(activity.CONSENT_PURPOSES.values()),
    )
    pair = owner.astype(np.int64) * len(labels) + purpose_ix
    _, first = np.unique(pair, return_index=True)
    first.sort()
    owner, purpose_ix = owner[first], purpose_ix[first]
    b.owners["consents"] = owner
    b.consent_purpose = np.array(labels)[purpose_ix]
    b.consent_granted = b.after_created(owner, rng)
    withdrawn = b.later(b.consent_granted, 400, rng)
    keep = (rng.random(len(owner)) < 0.15) & (withdrawn < b.base.batch_start)
    b.consent_withdrawn = np.where(keep, withdrawn, activity.NEVER)


def _messages(b: Batch, n: int, rng: np.random.Generator) -> None:
    """Messages are sent under a marketing consent, between its grant and its withdrawal."""
    marketing = np.flatnonzero(np.isin(b.consent_purpose, list(b.rules.channel_purpose.values())))
    if len(marketing) == 0:
        b.message_consent = np.zeros(0, np.int64)
        b.message_sent = np.zeros(0, np.int64)
        return
    consent = marketing[rng.integers(0, len(marketing), n)]
    granted = b.consent_granted[consent]
    end = np.minimum(b.consent_withdrawn[consent], b.base.batch_start) - 1
    b.message_consent = consent
    b.message_sent = granted + (rng.random(n) * (end - granted)).astype(np.int64)


def _orders(b: Batch, rng: np.random.Generator) -> None:
    n = len(b.order_times)
    b.order_delivered = b.later(b.order_times, 7, rng)
    b.order_is_delivered = (b.order_delivered < b.base.batch_start) & (rng.random(n) < 0.95)
    cents = (np.exp(rng.normal(5.0, 1.0, 50_000)) * 100).astype(np.int64) + 100
    factors = [
        t * p for t in b.rules.tier_factors.values() for p in [1.0, *b.rules.promo_factors.values()]
    ]
    b.list_cents = activity.tie_free_list_prices(cents, factors)


def _sensitive_ok(b: Batch) -> np.ndarray:
    purpose = compliance_rules().parameters.cons_03.consent_purpose
    in_force = (
        (b.consent_purpose == purpose)
        & (b.consent_granted < b.base.batch_start)
        & (b.consent_withdrawn >= b.base.batch_start)
    )
    ok = np.zeros(b.base.count, bool)
    ok[b.owners["consents"][in_force]] = True
    return ok


def _export_layout(
    source: str, profile: DemoDataProfile, extra: list[str], rng: np.random.Generator
) -> tuple[list[str], list[str]]:
    """Column order and header of one source's file (same for the current and previous batch)."""
    contract = landing_contract().sources[source]
    columns = list(contract.columns)
    if source == "customers":
        columns += [c for c in [*profile.customer_extra_columns, *extra] if c not in columns]
    header = list(columns)
    if source == profile.alias_header_source:
        # Chinese aliases where the contract has one, columns in a shuffled order
        chinese = {}
        for alias, target in contract.aliases.items():
            if not alias.isascii():
                chinese.setdefault(target, alias)
        columns = [columns[i] for i in rng.permutation(len(columns)).tolist()]
        header = [chinese.get(c, c) for c in columns]
    return columns, header


def _export(
    folder: Path, source: str, profile: DemoDataProfile, columns: list[str], header: list[str]
) -> ExportFile:
    contract = landing_contract().sources[source]
    fmt = profile.files[source]
    json_types = {c: col.type for c, col in contract.columns.items()}
    path = folder / f"{source}.{fmt.format}"
    export = ExportFile(path, source, fmt, columns, header, contract.key, json_types)
    if source == profile.alias_header_source:
        export.add_file_level("alias_headers")
    if source == "customers" and any(c not in contract.columns for c in columns):
        export.add_file_level("extra_columns")
    return export


def _apply_edits(
    cols: dict[str, list[str]],
    edits: dict[int, dict[str, str]],
    keys: np.ndarray,
    start: int,
    stop: int,
) -> None:
    lo, hi = np.searchsorted(keys, [start, stop])
    for pos in keys[lo:hi].tolist():
        for column, value in edits[pos].items():
            cols[column][pos - start] = value


def _drop_rows(
    cols: dict[str, list[str]], plan: ChunkPlan, drop: list[int]
) -> tuple[dict[str, list[str]], ChunkPlan]:
    """The chunk without rows that vanished from the current extract (never planned rows)."""
    n = len(next(iter(cols.values())))
    keep = np.ones(n, bool)
    keep[drop] = False
    new_pos = np.cumsum(keep) - 1
    kept = keep.tolist()
    out = {c: [v for v, k in zip(vals, kept, strict=True) if k] for c, vals in cols.items()}
    return out, ChunkPlan(
        tricky={int(new_pos[p]): k for p, k in plan.tricky.items()},
        rejects={int(new_pos[p]): k for p, k in plan.rejects.items()},
    )


def generate(
    out: Path,
    customers: int = 10_000,
    seed: int = 42,
    batch_date: str = DEFAULT_BATCH_DATE,
    violations: str = "none",
    progress: Callable[[str], None] | None = None,
) -> GenerationResult:
    """Write one demo batch into ``<out>/<batch_date>/``; same arguments give identical bytes.

    With planted MKT-04 / CON-03 violations the previous day's extract is written too, into
    ``<out>/<batch_date - 1 day>/``: the same rows plus the ones that vanish.
    """
    if customers < 1:
        raise ValueError(f"--customers must be at least 1, got {customers}")
    day = dt.date.fromisoformat(batch_date)  # a clear error for a malformed date
    started = time.monotonic()
    profile = demo_profile()
    selected_rules(violations)
    folder = Path(out) / batch_date
    folder.mkdir(parents=True, exist_ok=True)
    root = np.random.SeedSequence(seed)
    setup_rng, plan_rng, header_rng, violation_rng = (
        np.random.default_rng(s) for s in root.spawn(4)
    )
    faker = Faker("zh_CN")
    faker.seed_instance(seed)

    batch_start = _batch_start(batch_date)
    rules = compliance_rules()
    base: CustomerBase = customer_base(
        profile,
        organisation().mainland_regions,
        customers,
        batch_start,
        setup_rng,
        rules.parameters.cons_02.minimum_age,
    )
    owners = _sizes(profile, customers, setup_rng)
    order_owner = owners["orders"]
    batch = Batch(profile, base, owners, np.zeros(0), np.zeros(0), 0, 0, {})
    order_times = batch.after_created(order_owner, setup_rng)
    review_orders = np.flatnonzero(
        setup_rng.random(len(order_owner)) < profile.per_customer.reviews_per_order
    )
    fixed = {s: f.count(customers) for s, f in profile.fixed_sources.items()}
    batch = Batch(
        profile=profile,
        base=base,
        owners=owners,
        order_times=order_times,
        review_orders=review_orders,
        campaigns=fixed["campaigns"],
        templates=fixed["contract_templates"],
        pools=_pools(profile, faker, setup_rng),
        rules=_rules(batch_start, customers),
    )
    _consents(batch, setup_rng)
    _messages(batch, round(profile.per_customer.marketing_messages * customers), setup_rng)
    _orders(batch, setup_rng)
    sensitive_ok = _sensitive_ok(batch)
    base.sensitive_filled = sensitive_ok.copy()
    owners = batch.owners
    rows = {s: len(o) for s, o in owners.items()} | fixed
    rows |= {
        "customers": customers,
        "reviews": len(review_orders),
        "marketing_messages": len(batch.message_consent),
    }

    contract = landing_contract()
    # where ingestion will quarantine rows: decided first, so planting stays clear of them
    plans = {s: plan_file(s, rows[s], profile, plan_rng) for s in contract.sources}
    ctx = PlantContext(
        batch=batch,
        plans=plans,
        rows=rows,
        rng=violation_rng,
        rules=rules,
        org=organisation(),
        calendar=working_calendar(),
        profile=profile,
        sensitive_ok=sensitive_ok,
    )
    planting = plant(ctx, violations)
    previous = None
    if any(planting.vanished.values()):
        previous = (day - dt.timedelta(days=1)).isoformat()
        (Path(out) / previous).mkdir(parents=True, exist_ok=True)
    sensitive = sensitive_columns(profile)

    exports: list[ExportFile] = []
    previous_exports: list[ExportFile] = []
    last_report = time.monotonic()
    for index, source in enumerate(contract.sources):
        columns, header = _export_layout(source, profile, planting.extra_columns, header_rng)
        export = _export(folder, source, profile, columns, header)
        plan = plans[source]
        tricks = trick_applier(contract.sources[source])
        key_prefix = "C" if source == "customers" else ROW_MAKERS[source][1]
        rejects = reject_builder(export, contract.sources[source], key_prefix)
        outputs = [(export, rejects, True)]
        if previous is not None:
            prev = _export(Path(out) / previous, source, profile, columns, header)
            outputs.append(
                (prev, reject_builder(prev, contract.sources[source], key_prefix), False)
            )
        edits = planting.edits.get(source, {})
        edit_keys = np.array(sorted(edits), dtype=np.int64)
        vanished = np.array(sorted(planting.vanished.get(source, ())), dtype=np.int64)
        try:
            for chunk_no, start in enumerate(range(0, rows[source], CHUNK_ROWS)):
                stop = min(start + CHUNK_ROWS, rows[source])
                rng = np.random.default_rng([seed, index, chunk_no])
                if source == "customers":
                    cols = customer_chunk(
                        base, profile, faker, rng, start, stop, sensitive, planting.extra_columns
                    )
                else:
                    cols = ROW_MAKERS[source][0](batch, rng, start, stop)
                _apply_edits(cols, edits, edit_keys, start, stop)
                chunk_plan = plan.chunk(start, stop)
                lo, hi = np.searchsorted(vanished, [start, stop])
                drop = (vanished[lo:hi] - start).tolist()
                for target, builder, current in outputs:
                    if current and drop:
                        kept, kept_plan = _drop_rows(cols, chunk_plan, drop)
                    else:
                        kept, kept_plan = {c: list(v) for c, v in cols.items()}, chunk_plan
                    target.write_chunk(kept, kept_plan, tricks, builder)
                if progress and time.monotonic() - last_report > 5:
                    last_report = time.monotonic()
                    progress(f"{export.name}: {stop:,}/{rows[source]:,} rows")
        finally:
            for target, _, _ in outputs:
                target.close()
        exports.append(export)
        if previous is not None:
            previous_exports.append(outputs[1][0])
    rule_ids = [r for r, d in rules.rules.items() if d.evaluated and d.data_source == "landing"]
    manifest = build_manifest(exports, customers, seed, batch_date, violations)
    manifest["violations"] = planting.manifest(violations, batch_date, previous, rule_ids)
    manifest_path = write_manifest(folder, manifest)
    if previous is not None:
        prev_manifest = build_manifest(previous_exports, customers, seed, previous, violations)
        prev_manifest["violations"] = None
        prev_manifest["violations_note"] = (
            f"previous-day extract written only as the retention baseline of the {batch_date} "
            "batch (MKT-04, CON-03): the same rows plus the rows that vanish; its findings are "
            "not computed"
        )
        write_manifest(Path(out) / previous, prev_manifest)
    return GenerationResult(
        folder=folder,
        manifest=manifest_path,
        records={e.name: e.records for e in exports},
        elapsed_seconds=time.monotonic() - started,
        previous_folder=Path(out) / previous if previous else None,
    )
