"""Generating one demo landing batch: every contract source, streamed in chunks, plus manifest."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faker import Faker

from crmguard.config import landing_contract, organisation
from crmguard.demo_data import DEFAULT_BATCH_DATE, activity, values
from crmguard.demo_data.activity import Batch
from crmguard.demo_data.corruptions import plan_file, reject_builder, trick_applier
from crmguard.demo_data.customers import DAY, CustomerBase, customer_base, customer_chunk
from crmguard.demo_data.export_file import ExportFile
from crmguard.demo_data.manifest import build_manifest, write_manifest
from crmguard.demo_data.profile import DemoDataProfile, demo_profile
from crmguard.demo_data.violations import planters_for

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
    messages = rng.integers(0, n, round(per.marketing_messages * n)) if n else np.zeros(0, int)
    return {
        "consents": activity.owners_for(per.consents, n, rng),
        "marketing_messages": messages.astype(np.int32),
        "orders": activity.owners_for(per.orders, n, rng),
        "complaints": activity.owners_for(per.complaints, n, rng),
        "contracts": activity.owners_for(per.contracts, n, rng),
        "dsr_requests": activity.owners_for(per.dsr_requests, n, rng),
    }


def _export(
    folder: Path, source: str, profile: DemoDataProfile, rng: np.random.Generator
) -> ExportFile:
    contract = landing_contract().sources[source]
    fmt = profile.files[source]
    columns = list(contract.columns)
    if source == "customers":
        columns += profile.customer_extra_columns
    header = list(columns)
    if source == profile.alias_header_source:
        # Chinese aliases where the contract has one, columns in a shuffled order
        chinese = {}
        for alias, target in contract.aliases.items():
            if not alias.isascii():
                chinese.setdefault(target, alias)
        columns = [columns[i] for i in rng.permutation(len(columns)).tolist()]
        header = [chinese.get(c, c) for c in columns]
    json_types = {c: col.type for c, col in contract.columns.items()}
    path = folder / f"{source}.{fmt.format}"
    export = ExportFile(path, source, fmt, columns, header, contract.key, json_types)
    if source == profile.alias_header_source:
        export.add_file_level("alias_headers")
    if source == "customers" and profile.customer_extra_columns:
        export.add_file_level("extra_columns")
    return export


def generate(
    out: Path,
    customers: int = 10_000,
    seed: int = 42,
    batch_date: str = DEFAULT_BATCH_DATE,
    violations: str = "none",
    progress: Callable[[str], None] | None = None,
) -> GenerationResult:
    """Write one demo batch into ``<out>/<batch_date>/``; same arguments give identical bytes."""
    if customers < 1:
        raise ValueError(f"--customers must be at least 1, got {customers}")
    dt.date.fromisoformat(batch_date)  # a clear error for a malformed date
    started = time.monotonic()
    profile = demo_profile()
    planters = planters_for(violations)
    folder = Path(out) / batch_date
    folder.mkdir(parents=True, exist_ok=True)
    root = np.random.SeedSequence(seed)
    setup_rng, plan_rng, header_rng = (np.random.default_rng(s) for s in root.spawn(3))
    faker = Faker("zh_CN")
    faker.seed_instance(seed)

    base: CustomerBase = customer_base(
        profile, organisation().mainland_regions, customers, _batch_start(batch_date), setup_rng
    )
    owners = _sizes(profile, customers, setup_rng)
    order_owner = owners["orders"]
    order_times = Batch.after_created(
        Batch(profile, base, owners, np.zeros(0), np.zeros(0), 0, 0, {}), order_owner, setup_rng
    )
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
    )
    rows = {s: len(o) for s, o in owners.items()} | fixed
    rows |= {"customers": customers, "reviews": len(review_orders)}

    contract = landing_contract()
    exports: list[ExportFile] = []
    last_report = time.monotonic()
    for index, source in enumerate(contract.sources):
        export = _export(folder, source, profile, header_rng)
        plan = plan_file(source, rows[source], profile, plan_rng)
        tricks = trick_applier(contract.sources[source])
        key_prefix = "C" if source == "customers" else ROW_MAKERS[source][1]
        rejects = reject_builder(export, contract.sources[source], key_prefix)
        try:
            for chunk_no, start in enumerate(range(0, rows[source], CHUNK_ROWS)):
                stop = min(start + CHUNK_ROWS, rows[source])
                rng = np.random.default_rng([seed, index, chunk_no])
                if source == "customers":
                    cols = customer_chunk(base, profile, faker, rng, start, stop)
                else:
                    cols = ROW_MAKERS[source][0](batch, rng, start, stop)
                for planter in planters:
                    planter(source, cols, rng)
                export.write_chunk(cols, plan.chunk(start, stop), tricks, rejects)
                if progress and time.monotonic() - last_report > 5:
                    last_report = time.monotonic()
                    progress(f"{export.name}: {stop:,}/{rows[source]:,} rows")
        finally:
            export.close()
        exports.append(export)
    manifest = write_manifest(
        folder, build_manifest(exports, customers, seed, batch_date, violations)
    )
    return GenerationResult(
        folder=folder,
        manifest=manifest,
        records={e.name: e.records for e in exports},
        elapsed_seconds=time.monotonic() - started,
    )
