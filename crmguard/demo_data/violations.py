"""Planting compliance-rule violations and near-misses into a demo batch, with their manifest.

The generated batch is clean by construction (every rule of config/rules.yaml holds). Each planter
of ``planters()`` (one per rule of the registry, found by name) then picks a few units of its rule
and changes them so that they violate it, plus near-misses that sit on the rule's boundary without
violating it. Planters run
once, before any file is written: they edit the shared arrays (consents, message times, ...) and
record field edits by row position, rows that vanish from the extract (kept only in the previous
day's batch) and the subjects the rule must yield. Rows that ingestion quarantines (the
corruption plan) are never used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from crmguard.config import ComplianceRules, Organisation, WorkingCalendar, compliance_rules
from crmguard.demo_data import values
from crmguard.demo_data.activity import NEVER, Batch, explained_cents
from crmguard.demo_data.corruptions import FilePlan
from crmguard.demo_data.customers import _AREA_CODES, DAY
from crmguard.demo_data.profile import DemoDataProfile
from crmguard.rule_text import look_alike

# interfaces.md §2: what one finding of each rule is about
# key column and key format per source (row position -> key)
KEYS = {
    "customers": ("C", 8),
    "consents": ("CS", 9),
    "campaigns": ("CP", 4),
    "marketing_messages": ("M", 10),
    "orders": ("O", 9),
    "complaints": ("TS", 7),
    "contract_templates": ("T", 3),
    "contracts": ("HT", 8),
    "visit_expenses": ("VE", 6),
    "reviews": ("R", 9),
    "dsr_requests": ("DSR", 7),
    "data_transfers": ("DT", 5),
    "security_incidents": ("SI", 4),
}


def key_of(source: str, position: int) -> str:
    prefix, width = KEYS[source]
    return f"{prefix}{position + 1:0{width}d}"


def ts(seconds: int) -> str:
    """A naive Asia/Shanghai wall-clock timestamp from epoch seconds of that wall clock."""
    return str(np.datetime64(int(seconds), "s"))


def day_of(seconds: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(seconds) // DAY)


def seconds_of(day: dt.date, hour: float = 0) -> int:
    return (day - dt.date(1970, 1, 1)).days * DAY + int(hour * 3600)


@dataclass
class RulePlanting:
    subjects: set[str] = field(default_factory=set)
    near_misses: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Planting:
    """What the selected planters did: field edits, vanished rows, extra columns, subjects."""

    edits: dict[str, dict[int, dict[str, str]]] = field(default_factory=dict)
    vanished: dict[str, set[int]] = field(default_factory=dict)
    extra_columns: list[str] = field(default_factory=list)
    rules: dict[str, RulePlanting] = field(default_factory=dict)

    def manifest(self, option: str, as_of: str, previous: str | None, rule_ids: list[str]):
        out: dict[str, object] = {}
        for rule_id in rule_ids:
            planted = self.rules.get(rule_id, RulePlanting())
            near = {k: sorted(v) for k, v in sorted(planted.near_misses.items())}
            near_subjects = sorted({s for v in near.values() for s in v})
            out[rule_id] = {
                "subject_type": compliance_rules().rules[rule_id].subject_type,
                "count": len(planted.subjects),
                "subjects": sorted(planted.subjects),
                "near_misses": {
                    "count": len(near_subjects),
                    "subjects": near_subjects,
                    "kinds": near,
                },
            }
        return {"option": option, "as_of": as_of, "previous_batch": previous, "rules": out}


@dataclass
class PlantContext:
    """Everything a planter may read and change."""

    batch: Batch
    plans: dict[str, FilePlan]
    rows: dict[str, int]
    rng: np.random.Generator
    rules: ComplianceRules
    org: Organisation
    calendar: WorkingCalendar
    profile: DemoDataProfile
    sensitive_ok: np.ndarray  # customers with a sensitive_pi consent in force
    planting: Planting = field(default_factory=Planting)
    used: dict[str, set[int]] = field(default_factory=dict)

    @property
    def batch_start(self) -> int:
        return self.batch.base.batch_start

    @property
    def batch_day(self) -> dt.date:
        return day_of(self.batch_start)

    def count(self, rule_id: str, units: int) -> int:
        v = self.profile.violations
        return max(v.minimum, round(v.rates.get(rule_id, 0.0) * units))

    def pick(self, source: str, n: int, mask: np.ndarray | None = None) -> list[int]:
        """Up to n row positions of ``source`` not quarantined, not planted yet, where mask."""
        rows = self.rows[source]
        plan = self.plans[source]
        taken = set(plan.tricky) | set(plan.rejects) | self.used.setdefault(source, set())
        candidates = np.flatnonzero(mask) if mask is not None else np.arange(rows)
        if taken and len(candidates):
            candidates = candidates[~np.isin(candidates, np.fromiter(taken, np.int64))]
        if len(candidates) == 0 or n <= 0:
            return []
        chosen = self.rng.choice(candidates, size=min(n, len(candidates)), replace=False)
        out = sorted(int(c) for c in chosen)
        self.used[source].update(out)
        return out

    def edit(self, source: str, position: int, **fields: str) -> None:
        self.planting.edits.setdefault(source, {}).setdefault(position, {}).update(fields)

    def vanish(self, source: str, position: int) -> None:
        self.planting.vanished.setdefault(source, set()).add(position)

    def violation(self, rule_id: str, subject: str) -> None:
        self.planting.rules.setdefault(rule_id, RulePlanting()).subjects.add(subject)

    def near_miss(self, rule_id: str, kind: str, subject: str) -> None:
        planted = self.planting.rules.setdefault(rule_id, RulePlanting())
        planted.near_misses.setdefault(kind, []).append(subject)

    def consents_of(self, customer: int) -> range:
        owners = self.batch.owners["consents"]
        lo = int(np.searchsorted(owners, customer, "left"))
        hi = int(np.searchsorted(owners, customer, "right"))
        return range(lo, hi)


Planter = Callable[[PlantContext], None]


# -- columns and records ----------


def plant_data_01(ctx: PlantContext) -> None:
    """Columns without a declared purpose get values: contract ones and extra ones."""
    v = ctx.profile.violations
    n = ctx.batch.base.count
    pool = {
        "marital_status": list(ctx.profile.customers.marital_status_weights),
        "children_info": ["无", "1子", "1女", "1子1女", "2子"],
    }
    for column in v.data_01_filled_columns:
        picks = ctx.pick("customers", max(1, round(v.extra_column_fill_share * n / 10)))
        for p in picks:
            # several planted customers: a different one per column (used is shared)
            ctx.edit("customers", p, **{column: pool[column][p % len(pool[column])]})
        if picks:
            ctx.violation("DATA-01", f"customers.{column}")
    for column in v.data_01_extra_columns:
        # values only for customers whose sensitive_pi consent is in force: no CONS-03 overlap
        fill = ctx.sensitive_ok & (ctx.rng.random(n) < v.extra_column_fill_share)
        if not fill.any():
            continue
        ctx.batch.base.extra_fill = (ctx.batch.base.extra_fill or {}) | {column: fill}
        ctx.planting.extra_columns.append(column)
        ctx.violation("DATA-01", f"customers.{column}")


def plant_data_02(ctx: PlantContext) -> None:
    """An extra customers column of opaque codes: unclassifiable, and without a purpose."""
    v = ctx.profile.violations
    n = ctx.batch.base.count
    column = v.data_02_column
    fill = ctx.rng.random(n) < v.extra_column_fill_share
    fill[ctx.rng.integers(0, n)] = True
    ctx.batch.base.extra_fill = (ctx.batch.base.extra_fill or {}) | {column: fill}
    ctx.planting.extra_columns.append(column)
    ctx.violation("DATA-02", f"customers.{column}")
    ctx.violation("DATA-01", f"customers.{column}")  # no declared purpose either


def _storage_judged(ctx: PlantContext) -> bool:
    limit = ctx.rules.parameters.data_03.art40_individuals
    return (
        ctx.org.critical_information_infrastructure_operator
        or ctx.org.financial_institution
        or ctx.batch.base.count >= limit
    )


def plant_data_03(ctx: PlantContext) -> None:
    """Records stored in an offshore region (Hong Kong counts as offshore)."""
    if not _storage_judged(ctx):
        return  # offshore storage is then a cross-border matter (DATA-04), not DATA-03
    offshore = list(ctx.profile.customers.offshore_regions)
    n = ctx.count("DATA-03", ctx.batch.base.count)
    label = {"customers": "customers", "marketing_messages": "marketing_messages"}
    for source in ctx.rules.parameters.data_03.sources:
        for i, p in enumerate(ctx.pick(source, n if source == "customers" else max(1, n // 2))):
            ctx.edit(source, p, storage_region=offshore[i % len(offshore)])
            ctx.violation("DATA-03", f"{label.get(source, source)}:{key_of(source, p)}")
    # near-miss: a record in a mainland region other than the customer's own
    mainland = ctx.org.mainland_regions
    for p in ctx.pick("customers", 1):
        ctx.edit("customers", p, storage_region=mainland[-1])
        ctx.near_miss("DATA-03", "other_mainland_region", f"customers:{key_of('customers', p)}")
    # a mainland region written in capitals is still that region (compared after case folding)
    for p in ctx.pick("customers", 1):
        ctx.edit("customers", p, storage_region=mainland[0].upper())
        ctx.near_miss(
            "DATA-03", "mainland_region_in_capitals", f"customers:{key_of('customers', p)}"
        )


def plant_data_04(ctx: PlantContext) -> None:
    """Transfers in years with no other counted transfer: 100,000 ordinary individuals without a
    mechanism, 10,000 sensitive with only a standard contract; near-misses at 99,999 and exempt."""
    p = ctx.rules.parameters.data_04
    countries = ctx.profile.violations.transfer_countries
    year = ctx.batch_day.year
    rows = ctx.pick("data_transfers", 4)
    if len(rows) < 4:
        return
    ordinary = p.standard_contract.ordinary_individuals
    sensitive = p.security_assessment.sensitive_individuals
    exempt = p.exempt_bases[0]
    plan = [
        # (year, country, individuals, sensitive, exemption, mechanism, violation?, kind)
        (year - 4, countries[0], ordinary, 0, "none", "none", True, ""),
        (year - 4, countries[1], 5 * sensitive, sensitive, "none", "standard_contract", True, ""),
        (year - 3, countries[2], ordinary - 1, 0, "none", "none", False, "below_100000_ordinary"),
        (
            year - 3,
            countries[3],
            p.security_assessment.ordinary_individuals * 2,
            sensitive,
            exempt,
            "none",
            False,
            "exempt_basis",
        ),
    ]
    if ctx.org.critical_information_infrastructure_operator:
        plan = plan[:2] + plan[3:]  # any export of a CIIO needs an assessment
    for row, (y, country, total, sens, basis, mechanism, bad, kind) in zip(
        rows, plan, strict=False
    ):
        ctx.edit(
            "data_transfers",
            row,
            destination_country=country,
            individuals_count=str(total),
            sensitive_individuals_count=str(sens),
            exemption_basis=basis,
            mechanism=mechanism,
            approval_ref="",
            transferred_at=ts(seconds_of(dt.date(y, 6, 15), 10)),
        )
        if bad:
            ctx.violation("DATA-04", f"{y}:{country}")
        else:
            ctx.near_miss("DATA-04", kind, f"{y}:{country}")


def _makeup_saturday(ctx: PlantContext, before: dt.date) -> dt.date | None:
    days = [d for d in ctx.calendar.makeup_workdays if d.weekday() == 5 and d < before]
    return max(days) if days else None


def _plain_weekend_receipt(ctx: PlantContext, before: dt.date) -> dt.date:
    """A Thursday whose 3-working-day deadline crosses an ordinary weekend (no holiday)."""
    day = before - dt.timedelta(days=(before.weekday() - 3) % 7)
    cal = ctx.calendar
    while True:
        span = [day + dt.timedelta(days=i) for i in range(7)]
        ordinary = all(cal.is_working_day(d) == (d.weekday() < 5) for d in span)
        if ordinary:
            return day
        day -= dt.timedelta(days=7)


def plant_data_05(ctx: PlantContext) -> None:
    """Requests answered late (incl. across a make-up Saturday), open past the deadline, rejected
    without a reason; near-misses answered on the 3rd working day across a weekend / make-up day."""
    p = ctx.rules.parameters.data_05
    cal = ctx.calendar
    k = p.deadline_working_days
    latest = ctx.batch_day - dt.timedelta(days=20)
    thursday = _plain_weekend_receipt(ctx, latest)
    makeup = _makeup_saturday(ctx, latest)
    before_makeup = None
    if makeup is not None:
        before_makeup = makeup - dt.timedelta(days=1)
        while not cal.is_working_day(before_makeup):
            before_makeup -= dt.timedelta(days=1)

    def put(row: int, received: dt.date, done: dt.date | None, status: str, reason: str = ""):
        ctx.edit(
            "dsr_requests",
            row,
            request_type="access",
            received_at=ts(seconds_of(received, 9.5)),
            completed_at=ts(seconds_of(done, 17)) if done else "",
            status=status,
            rejection_reason=reason,
        )

    n = ctx.count("DATA-05", ctx.rows["dsr_requests"])
    kinds = ["late", "open_past_deadline", "rejected_without_reason"]
    if before_makeup is not None:
        kinds.append("late_across_makeup_saturday")
    for i, row in enumerate(ctx.pick("dsr_requests", max(n, len(kinds)))):
        kind = kinds[i % len(kinds)]
        received = thursday - dt.timedelta(days=7 * (i // len(kinds) + 1))
        if kind == "late":
            put(row, received, cal.add_working_days(received, k + 1), "completed")
        elif kind == "open_past_deadline":
            put(row, received, None, "open")
        elif kind == "rejected_without_reason":
            if p.rejection_needs_reason:
                put(row, received, cal.add_working_days(received, 1), "rejected")
            else:
                continue
        else:
            put(row, before_makeup, cal.add_working_days(before_makeup, k + 1), "completed")
        ctx.violation("DATA-05", key_of("dsr_requests", row))
    near = [("third_working_day_across_weekend", thursday)]
    if before_makeup is not None:
        near.append(("third_working_day_across_makeup_saturday", before_makeup))
    for (kind, received), row in zip(near, ctx.pick("dsr_requests", len(near)), strict=False):
        put(row, received, cal.add_working_days(received, k), "completed")
        ctx.near_miss("DATA-05", kind, key_of("dsr_requests", row))
    _plant_deletions(ctx, thursday)


# customers columns a deletion tombstone keeps: the key, the record's status and its dates, where
# it is stored; every other column (contract or extra) is emptied
_TOMBSTONE_KEEPS = ("customer_id", "status", "closed_at", "created_at", "updated_at")


def _plant_deletions(ctx: PlantContext, received: dt.date) -> None:
    """Completed deletion requests (on time): the customer left as a tombstone row (key, status
    closed, personal columns empty) is a near-miss; the customer left whole, or a tombstone that
    kept its mobile and credit score, is a violation. No message reaches them after it."""
    p = ctx.rules.parameters.data_05
    b = ctx.batch
    done = ctx.calendar.add_working_days(received, 1)
    completed_at = seconds_of(done, 17)
    # customers whose every message was sent before the receipt (and stays so: those messages
    # are kept from later planters)
    message_owner = b.owners["consents"][b.message_consent]
    last_sent = np.full(b.base.count, -1, np.int64)
    np.maximum.at(last_sent, message_owner, b.message_sent)
    quiet = (last_sent < seconds_of(received)) & (b.base.created_at < seconds_of(received))
    kept = [c for c in ctx.profile.column_entities["customers"] if c not in _TOMBSTONE_KEEPS]
    kept = [c for c in kept if c != "storage_region"]
    plan = [
        ("tombstone", kept, False),
        ("whole", [], True),
        (
            "kept_mobile_and_credit_score",
            [c for c in kept if c not in ("mobile", "credit_score")],
            True,
        ),
    ]
    customers = ctx.pick("customers", len(plan), quiet)
    requests = ctx.pick("dsr_requests", len(customers))
    for (kind, emptied, bad), customer, row in zip(plan, customers, requests, strict=False):
        ctx.used.setdefault("marketing_messages", set()).update(
            np.flatnonzero(message_owner == customer).tolist()
        )
        ctx.edit(
            "dsr_requests",
            row,
            customer_id=key_of("customers", customer),
            request_type=p.deletion_request_type,
            received_at=ts(seconds_of(received, 9.5)),
            completed_at=ts(completed_at),
            status="completed",
            rejection_reason="",
        )
        if emptied:
            closed = ts(completed_at)
            fields = dict.fromkeys(emptied, "") | {"status": "closed", "closed_at": closed}
            ctx.edit("customers", customer, **fields, updated_at=closed)
        if bad:
            ctx.violation("DATA-05", key_of("dsr_requests", row))
        else:
            ctx.near_miss("DATA-05", f"deletion_{kind}", key_of("dsr_requests", row))


def sensitive_columns(profile: DemoDataProfile) -> list[str]:
    """Customers columns whose declared entity is PIPL-sensitive and not processed for KYC
    (classification policy flags; the generator never runs the classifier)."""
    import yaml

    from crmguard.config import compliance_rules, config_path

    policy = yaml.safe_load(config_path("policies/seed.yaml").read_text(encoding="utf-8"))
    entities = policy["entities"]
    exclude_kyc = compliance_rules().parameters.cons_03.exclude_kyc_basis
    out = []
    for column, entity in profile.column_entities["customers"].items():
        spec = entities.get(entity, {})
        if spec.get("pipl_sensitive") and not (exclude_kyc and spec.get("kyc_basis")):
            out.append(column)
    return out


def plant_data_06(ctx: PlantContext) -> None:
    """Campaigns that use a customers column not declared for marketing."""
    from crmguard.config import field_purposes

    required = ctx.rules.parameters.data_06.required_purpose
    declared = field_purposes().sources["customers"]
    off_purpose = [c for c, ps in declared.items() if ps and required not in ps]
    # PIPL-sensitive columns first (gps_location is the spec's example)
    sensitive = set(sensitive_columns(ctx.profile))
    off_purpose.sort(key=lambda c: c not in sensitive)
    marketing = ctx.batch.rules.marketing_columns
    rows = ctx.pick("campaigns", ctx.count("DATA-06", ctx.rows["campaigns"]) + 1)
    for i, row in enumerate(rows[:-1]):
        column = off_purpose[i % len(off_purpose)]
        ctx.edit("campaigns", row, data_fields_used=f"{marketing[0]},{column}")
        ctx.violation("DATA-06", f"{key_of('campaigns', row)}:{column}")
    if rows:
        ctx.edit("campaigns", rows[-1], data_fields_used=",".join(marketing))
        ctx.near_miss("DATA-06", "every_marketing_column", f"{key_of('campaigns', rows[-1])}:*")


# -- consent and marketing ----------


def _message_mask(ctx: PlantContext, consent_mask: np.ndarray) -> np.ndarray:
    return consent_mask[ctx.batch.message_consent]


def plant_cons_01(ctx: PlantContext) -> None:
    """Messages sent before their channel's consent was granted (the customer has no other)."""
    b = ctx.batch
    before = b.consent_granted - 7200
    owners = b.owners["consents"]
    old_enough = before > b.base.created_at[owners]
    rows = ctx.pick(
        "marketing_messages",
        ctx.count("CONS-01", ctx.rows["marketing_messages"]),
        _message_mask(ctx, old_enough),
    )
    for row in rows:
        b.message_sent[row] = b.consent_granted[b.message_consent[row]] - 3600
        ctx.violation("CONS-01", key_of("marketing_messages", row))
    # near-miss: sent the second the consent was granted (granted_at == sent_at is valid)
    for row in ctx.pick("marketing_messages", 2):
        b.message_sent[row] = b.consent_granted[b.message_consent[row]]
        ctx.near_miss("CONS-01", "sent_at_grant_second", key_of("marketing_messages", row))


def plant_mkt_02(ctx: PlantContext) -> None:
    """Messages sent after the channel's consent was withdrawn (also CONS-01), sms/email without an
    unsubscribe link; near-misses: app_push without a link, sent the second before withdrawal."""
    b = ctx.batch
    r = b.rules
    n = ctx.count("MKT-02", ctx.rows["marketing_messages"])
    withdrawn = b.consent_withdrawn < b.base.batch_start - 7200
    for row in ctx.pick("marketing_messages", max(1, n // 2), _message_mask(ctx, withdrawn)):
        b.message_sent[row] = b.consent_withdrawn[b.message_consent[row]] + 1800
        ctx.violation("MKT-02", key_of("marketing_messages", row))
        ctx.violation("CONS-01", key_of("marketing_messages", row))
    purposes = b.consent_purpose
    required = np.isin(purposes, [r.channel_purpose[c] for c in r.unsubscribe_channels])
    for row in ctx.pick("marketing_messages", max(1, n - n // 2), _message_mask(ctx, required)):
        ctx.edit("marketing_messages", row, has_unsubscribe_link="false")
        ctx.violation("MKT-02", key_of("marketing_messages", row))
    optional = np.isin(purposes, [p for c, p in r.channel_purpose.items() if c == "app_push"])
    for row in ctx.pick("marketing_messages", 1, _message_mask(ctx, optional)):
        ctx.edit("marketing_messages", row, has_unsubscribe_link="false")
        ctx.near_miss("MKT-02", "app_push_without_link", key_of("marketing_messages", row))
    for row in ctx.pick("marketing_messages", 1, _message_mask(ctx, withdrawn)):
        b.message_sent[row] = b.consent_withdrawn[b.message_consent[row]] - 1
        ctx.near_miss("MKT-02", "sent_second_before_withdrawal", key_of("marketing_messages", row))


def plant_mkt_01(ctx: PlantContext) -> None:
    """Message content with an absolute claim; near-miss: an allowed phrase (最近)."""
    b = ctx.batch
    v = ctx.profile.violations
    terms = b.rules.absolute_terms
    rows = ctx.pick("marketing_messages", ctx.count("MKT-01", ctx.rows["marketing_messages"]))
    for i, row in enumerate(rows):
        text = v.absolute_claim_template.format(term=terms[i % len(terms)])
        if not b.rules.has_absolute_term(text):
            raise ValueError(f"MKT-01 planted text has no absolute term: {text}")
        ctx.edit("marketing_messages", row, content=text)
        ctx.violation("MKT-01", key_of("marketing_messages", row))
    # the claim written as Chinese copy often is: full-width digits and signs, look-alike
    # radicals (compared after NFKC, crmguard.rule_text)
    spelled = [(t, look_alike(t)) for t in terms if look_alike(t) != t][:2]
    for (term, written), row in zip(
        spelled, ctx.pick("marketing_messages", len(spelled)), strict=False
    ):
        text = v.absolute_claim_template.format(term=written)
        if term in text or not b.rules.has_absolute_term(text):
            raise ValueError(f"MKT-01 look-alike text is not a claim only after NFKC: {text}")
        ctx.edit("marketing_messages", row, content=text)
        ctx.violation("MKT-01", key_of("marketing_messages", row))
    for name in ("allowed_phrase_message", "lookalike_message"):
        if b.rules.has_absolute_term(getattr(v, name)):
            raise ValueError(f"demo_data.yaml {name} holds an absolute term")
    for row in ctx.pick("marketing_messages", 1):
        ctx.edit("marketing_messages", row, content=v.allowed_phrase_message)
        ctx.near_miss("MKT-01", "allowed_phrase", key_of("marketing_messages", row))
    for row in ctx.pick("marketing_messages", 1):
        ctx.edit("marketing_messages", row, content=v.lookalike_message)
        ctx.near_miss("MKT-01", "full_width_digits_only", key_of("marketing_messages", row))
    # a claim in the campaign's name, not in what the customer received: outside the rule
    if not b.rules.has_absolute_term(v.campaign_claim_name):
        raise ValueError("demo_data.yaml campaign_claim_name holds no absolute term")
    campaign, message = ctx.pick("campaigns", 1), ctx.pick("marketing_messages", 1)
    if campaign and message:
        ctx.edit("campaigns", campaign[0], name=v.campaign_claim_name)
        ctx.edit("marketing_messages", message[0], campaign_id=key_of("campaigns", campaign[0]))
        ctx.near_miss(
            "MKT-01", "claim_in_campaign_name_only", key_of("marketing_messages", message[0])
        )


def _minor_birth(created: dt.date, years: int) -> dt.date:
    return created.replace(year=created.year - years)


def plant_cons_02(ctx: PlantContext) -> None:
    """Customers under the minimum age at creation without a guardian consent granted by then."""
    b = ctx.batch
    p = ctx.rules.parameters.cons_02
    base = b.base
    created_days = base.created_at // DAY
    # not on 29 February (a birthday that does not exist every year), and old enough accounts
    feb29 = np.array([str(d)[5:] == "02-29" for d in created_days.astype("datetime64[D]")])
    ok = ~feb29 & (base.created_at < base.batch_start - 10 * DAY)
    guardian = b.consent_purpose == p.guardian_purpose
    has_guardian = np.zeros(base.count, bool)
    has_guardian[b.owners["consents"][guardian]] = True

    def make_minor(row: int, birth: dt.date) -> None:
        body = f"{_AREA_CODES[row % len(_AREA_CODES)]}{birth:%Y%m%d}{row % 100:02d}2"
        ctx.edit(
            "customers",
            row,
            birth_date=birth.isoformat(),
            id_type="RESIDENT_ID",
            id_number=values.resident_ids([body])[0],
            gender="女",
        )

    for row in ctx.pick("customers", ctx.count("CONS-02", base.count), ok):
        created = day_of(int(base.created_at[row]))
        make_minor(row, _minor_birth(created, p.minimum_age - 2))
        # a guardian consent they hold was granted only after the account was created
        for c in ctx.consents_of(row):
            if b.consent_purpose[c] == p.guardian_purpose:
                b.consent_granted[c] = base.created_at[row] + 2 * DAY
        ctx.violation("CONS-02", key_of("customers", row))
    for row in ctx.pick("customers", 1, ok):
        make_minor(row, _minor_birth(day_of(int(base.created_at[row])), p.minimum_age))
        ctx.near_miss("CONS-02", "turns_minimum_age_on_created_date", key_of("customers", row))
    for row in ctx.pick("customers", 1, ok & has_guardian):
        make_minor(row, _minor_birth(day_of(int(base.created_at[row])), p.minimum_age - 2))
        for c in ctx.consents_of(row):
            if b.consent_purpose[c] == p.guardian_purpose:
                b.consent_granted[c] = base.created_at[row]
                b.consent_withdrawn[c] = NEVER
        ctx.near_miss("CONS-02", "guardian_consent_at_creation", key_of("customers", row))


def plant_cons_03(ctx: PlantContext) -> None:
    """Customers with values in PIPL-sensitive columns and no sensitive_pi consent in force."""
    base = ctx.batch.base
    rows = ctx.pick("customers", ctx.count("CONS-03", base.count), ~ctx.sensitive_ok)
    for row in rows:
        base.sensitive_filled[row] = True
        ctx.violation("CONS-03", key_of("customers", row))
    # near-miss: a withdrawn sensitive_pi consent, and the sensitive columns emptied
    purpose = ctx.rules.parameters.cons_03.consent_purpose
    b = ctx.batch
    withdrawn = (b.consent_purpose == purpose) & (b.consent_withdrawn < base.batch_start)
    had = np.zeros(base.count, bool)
    had[b.owners["consents"][withdrawn]] = True
    for row in ctx.pick("customers", 1, had & ~ctx.sensitive_ok):
        ctx.near_miss("CONS-03", "withdrawn_consent_values_removed", key_of("customers", row))


# -- orders, prices, retention ----------


def _order_product(ctx: PlantContext, k: int) -> tuple[str, int]:
    """A product number of its own for planted pair k, with a tie-free list price."""
    b = ctx.batch
    number = len(b.list_cents) + k
    cents = int(b.list_cents[1 + k % (len(b.list_cents) - 1)])
    return f"P{number:06d}", cents


def plant_mkt_03(ctx: PlantContext) -> None:
    """Same product, same day: one order priced as explained, the other below it; near-miss: the
    other explained by its tier and a promo code."""
    b = ctx.batch
    r = b.rules
    tiers = b.base.tier[b.owners["orders"]]
    n = ctx.count("MKT-03", ctx.rows["orders"])
    promo, promo_factor = next(iter(r.promo_factors.items()))
    tolerance = ctx.rules.parameters.mkt_03.tolerance_cny
    # k == n: explained by tier and promo code; k == n + 1: the same, the code written full-width
    for k in range(n + 2):
        pair = ctx.pick("orders", 2, np.ones(ctx.rows["orders"], bool))
        if len(pair) < 2:
            break
        first, second = pair
        # both placed at noon of the first one's day, a minute apart: same day, same product
        noon = b.order_times[first] // DAY * DAY + 12 * 3600
        for row, at in ((first, noon), (second, noon + 60)):
            b.order_times[row] = at
            b.order_delivered[row] = at + 2 * DAY
            b.order_is_delivered[row] = at + 2 * DAY < b.base.batch_start
        product, cents = _order_product(ctx, k)
        arr = np.array([cents])
        second_code = {n: promo, n + 1: look_alike(promo.lower())}.get(k, "")
        for row, promo_code in ((first, ""), (second, second_code)):
            factor = r.tier_factors[tiers[row]] * (promo_factor if promo_code else 1.0)
            charged = int(explained_cents(arr, np.array([factor]))[0])
            if row == second and k < n:
                # below the explained price by far more than the tolerance
                charged -= max(100, int(tolerance * 100) * 50, cents // 10)
            ctx.edit(
                "orders",
                row,
                product_id=product,
                list_price=values.money(arr)[0],
                charged_price=values.money(np.array([charged]))[0],
                promo_code=promo_code,
            )
        if k < n:
            ctx.violation("MKT-03", key_of("orders", second))
        elif k == n:
            ctx.near_miss("MKT-03", "explained_by_tier_and_promo", key_of("orders", second))
        else:
            ctx.near_miss("MKT-03", "promo_code_written_full_width", key_of("orders", second))


def _years_ago(ctx: PlantContext, years: int, days: int) -> int:
    day = ctx.batch_day
    try:
        then = day.replace(year=day.year - years)
    except ValueError:  # 29 February
        then = day.replace(year=day.year - years, day=28)
    return seconds_of(then + dt.timedelta(days=days))


def plant_mkt_04(ctx: PlantContext) -> None:
    """Orders and messages that vanish from the extract inside their retention period;
    near-misses vanish after it is over. They stay in the previous day's batch."""
    b = ctx.batch
    p = ctx.rules.parameters.mkt_04
    reviewed = np.zeros(ctx.rows["orders"], bool)
    reviewed[b.review_orders] = True
    completion = np.where(b.order_is_delivered, b.order_delivered, b.order_times)
    kept = completion > _years_ago(ctx, p.order_retention_years, 3)
    over = completion < _years_ago(ctx, p.order_retention_years, -3)
    n = ctx.count("MKT-04", ctx.rows["orders"])
    for row in ctx.pick("orders", n, kept & ~reviewed):
        ctx.vanish("orders", row)
        ctx.violation("MKT-04", f"orders:{key_of('orders', row)}")
    for row in ctx.pick("orders", 1, over & ~reviewed):
        ctx.vanish("orders", row)
        ctx.near_miss("MKT-04", "retention_over", f"orders:{key_of('orders', row)}")
    sent = b.message_sent
    n = ctx.count("MKT-04", ctx.rows["marketing_messages"])
    kept = sent > _years_ago(ctx, p.message_retention_years, 3)
    over = sent < _years_ago(ctx, p.message_retention_years, -3)
    for row in ctx.pick("marketing_messages", n, kept):
        ctx.vanish("marketing_messages", row)
        ctx.violation("MKT-04", f"marketing_messages:{key_of('marketing_messages', row)}")
    for row in ctx.pick("marketing_messages", 1, over):
        ctx.vanish("marketing_messages", row)
        ctx.near_miss(
            "MKT-04", "retention_over", f"marketing_messages:{key_of('marketing_messages', row)}"
        )


def plant_cus_02(ctx: PlantContext) -> None:
    """Remote-sale returns requested inside the window and rejected for a reason that is no
    exception; near-misses: custom-made item, and the same reason requested the day after."""
    b = ctx.batch
    p = ctx.rules.parameters.cus_02
    v = ctx.profile.violations
    settled = b.order_is_delivered & (b.order_delivered < b.base.batch_start - 20 * DAY)
    remote = p.remote_channels[0]

    def put(row: int, days_after: int, category: str, reason: str) -> None:
        delivered_day = day_of(int(b.order_delivered[row]))
        requested = delivered_day + dt.timedelta(days=days_after)
        ctx.edit(
            "orders",
            row,
            sales_channel=remote,
            product_category=category,
            return_requested_at=ts(seconds_of(requested, 10)),
            return_status="rejected",
            return_reject_reason=reason,
        )

    general = "general"  # a category with no Art. 25 exception
    for i, row in enumerate(ctx.pick("orders", ctx.count("CUS-02", ctx.rows["orders"]), settled)):
        put(row, 1 + i % p.window_days, general, v.invalid_return_reason)
        ctx.violation("CUS-02", key_of("orders", row))
    category, reason = next(iter(p.category_exceptions.items()))
    for row in ctx.pick("orders", 1, settled):
        put(row, 3, category, reason)
        ctx.near_miss("CUS-02", "custom_made_exception", key_of("orders", row))
    for row in ctx.pick("orders", 1, settled):
        put(row, p.window_days + 1, general, v.invalid_return_reason)
        ctx.near_miss("CUS-02", "requested_after_window", key_of("orders", row))


def plant_mkt_05(ctx: PlantContext) -> None:
    """Visit expenses above the limit or without an invoice; near-misses exactly at the limit."""
    limits = ctx.rules.parameters.mkt_05.per_visit_limit_cny
    kinds = list(limits)
    rows = ctx.pick("visit_expenses", ctx.count("MKT-05", ctx.rows["visit_expenses"]))
    for i, row in enumerate(rows):
        kind = kinds[i % len(kinds)]
        if i % 2 == 0:
            amount = int(limits[kind] * 100) + 5000
            ctx.edit("visit_expenses", row, expense_type=kind, amount=_cny(amount))
        else:
            amount = int(limits[kind] * 50)
            ctx.edit("visit_expenses", row, expense_type=kind, amount=_cny(amount), invoice_no="")
        ctx.violation("MKT-05", key_of("visit_expenses", row))
    for kind, row in zip(kinds, ctx.pick("visit_expenses", len(kinds)), strict=False):
        ctx.edit("visit_expenses", row, expense_type=kind, amount=_cny(int(limits[kind] * 100)))
        ctx.near_miss("MKT-05", "exactly_at_limit", key_of("visit_expenses", row))


def _cny(cents: int) -> str:
    return values.money(np.array([cents]))[0]


# -- customer service ----------


def plant_cus_01(ctx: PlantContext) -> None:
    """Complaints answered after the severity's SLA, or resolved without confirmation;
    near-misses answered at exactly the SLA."""
    p = ctx.rules.parameters.cus_01
    severities = list(p.first_response_hours)
    start = ctx.batch_start - 30 * DAY

    def put(row: int, severity: str, response_s: int, confirmed: str) -> None:
        received = start + row * 60
        ctx.edit(
            "complaints",
            row,
            severity=severity,
            received_at=ts(received),
            first_response_at=ts(received + response_s),
            resolved_at=ts(received + 5 * DAY),
            resolution="已退款",
            customer_confirmed=confirmed,
        )

    rows = ctx.pick("complaints", ctx.count("CUS-01", ctx.rows["complaints"]))
    for i, row in enumerate(rows):
        severity = severities[i % len(severities)]
        hours = p.first_response_hours[severity]
        if i % 2 == 0:
            put(row, severity, int(hours * 3600) + 3600, "是")
        else:
            put(row, severity, int(hours * 1800), "否")
        ctx.violation("CUS-01", key_of("complaints", row))
    for severity, row in zip(severities, ctx.pick("complaints", len(severities)), strict=False):
        put(row, severity, int(p.first_response_hours[severity] * 3600), "是")
        ctx.near_miss("CUS-01", f"answered_at_exactly_sla_{severity}", key_of("complaints", row))


def plant_cus_03(ctx: PlantContext) -> None:
    """Incidents reported to the regulator late, customers never notified; near-misses at
    exactly the limit and a general incident never reported (not required)."""
    p = ctx.rules.parameters.cus_03
    hours = (
        p.regulator_hours_ciio
        if ctx.org.critical_information_infrastructure_operator
        else (p.regulator_hours)
    )
    level = p.regulator_levels[0]
    general = "general"
    start = ctx.batch_start - 40 * DAY

    def put(row: int, lvl: str, report_s: int | None, notice_s: int | None, affected: int):
        detected = start + row * 3600
        ctx.edit(
            "security_incidents",
            row,
            level=lvl,
            detected_at=ts(detected),
            affected_customers=str(affected),
            contained_at=ts(detected + 7200),
            regulator_reported_at=ts(detected + report_s) if report_s is not None else "",
            customers_notified_at=ts(detected + notice_s) if notice_s is not None else "",
        )

    notice = int(p.customer_notice_hours * 1800)
    rows = ctx.pick("security_incidents", ctx.count("CUS-03", ctx.rows["security_incidents"]))
    for i, row in enumerate(rows):
        if i % 2 == 0:
            put(row, level, int(hours * 3600) + 3600, notice, 10)
        else:
            put(row, level, int(hours * 1800), None, 10)
        ctx.violation("CUS-03", key_of("security_incidents", row))
    near = ctx.pick("security_incidents", 2)
    if near:
        put(near[0], level, int(hours * 3600), notice, 10)
        ctx.near_miss("CUS-03", "reported_at_exactly_limit", key_of("security_incidents", near[0]))
    if len(near) > 1 and general not in p.regulator_levels:
        put(near[1], general, None, None, 0)
        ctx.near_miss("CUS-03", "general_not_reported", key_of("security_incidents", near[1]))


def plant_cus_04(ctx: PlantContext) -> None:
    """Negative reviews hidden or deleted without a valid reason; near-misses: negative hidden
    for spam, a positive one hidden for `other`."""
    b = ctx.batch
    p = ctx.rules.parameters.cus_04
    settled = b.order_times[b.review_orders] < b.base.batch_start - 30 * DAY

    def put(row: int, rating: int, status: str, reason: str) -> None:
        created = int(b.order_times[b.review_orders[row]]) + 3 * DAY
        ctx.edit(
            "reviews",
            row,
            rating=str(rating),
            created_at=ts(created),
            status=status,
            moderation_reason=reason,
            moderated_by="moderator_01",
            moderated_at=ts(created + DAY),
        )

    statuses, reasons = p.moderated_statuses, p.invalid_reasons
    rows = ctx.pick("reviews", ctx.count("CUS-04", ctx.rows["reviews"]), settled)
    for i, row in enumerate(rows):
        put(row, 1 + i % p.max_negative_rating, statuses[i % 2], reasons[i % len(reasons)])
        ctx.violation("CUS-04", key_of("reviews", row))
    near = ctx.pick("reviews", 2, settled)
    if near:
        put(near[0], p.max_negative_rating, statuses[0], "spam")
        ctx.near_miss("CUS-04", "negative_hidden_for_spam", key_of("reviews", near[0]))
    if len(near) > 1:
        put(near[1], p.max_negative_rating + 1, statuses[0], reasons[-1])
        ctx.near_miss("CUS-04", "positive_hidden_other_reason", key_of("reviews", near[1]))


# -- contracts ----------


def plant_con_01(ctx: PlantContext) -> None:
    """Templates with an unfair clause; near-miss: a fair clause on the same subject."""
    unfair = ctx.rules.parameters.con_01.unfair_clauses
    fair = ctx.profile.violations.fair_clause
    if any(u in fair for u in unfair):
        raise ValueError("demo_data.yaml fair_clause holds an unfair clause")
    opening = ctx.profile.phrases["clause"][0]
    rows = ctx.pick("contract_templates", ctx.count("CON-01", ctx.rows["contract_templates"]))
    for i, row in enumerate(rows):
        clause = unfair[i % len(unfair)]
        ctx.edit("contract_templates", row, clause_text=f"{opening}。{clause}。")
        ctx.violation("CON-01", f"{key_of('contract_templates', row)}:{clause}")
    # a clause spelled with compatibility ideographs (不 as U+F967): the same clause after NFKC
    spelled = [(u, look_alike(u)) for u in unfair if look_alike(u) != u][:1]
    for (clause, written), row in zip(
        spelled, ctx.pick("contract_templates", len(spelled)), strict=False
    ):
        ctx.edit("contract_templates", row, clause_text=f"{opening}。{written}。")
        ctx.violation("CON-01", f"{key_of('contract_templates', row)}:{clause}")
    for row in ctx.pick("contract_templates", 1):
        ctx.edit("contract_templates", row, clause_text=f"{opening}。{fair}。")
        ctx.near_miss("CON-01", "fair_exchange_clause", f"{key_of('contract_templates', row)}:*")


def _contract(ctx: PlantContext, row: int, signed: int, **fields: str) -> None:
    base = {
        "signed_at": ts(signed),
        "status": "paid",
        "shipped_at": ts(signed + 2 * DAY),
        "accepted_at": ts(signed + 4 * DAY),
    }
    ctx.edit("contracts", row, **(base | fields))


def plant_con_02(ctx: PlantContext) -> None:
    """E-signed contracts missing identity verification, timestamp token or document hash;
    near-miss: a handwritten contract without them."""
    method = ctx.rules.parameters.con_02.method
    gaps = [
        {"signer_identity_verified": "false"},
        {"timestamp_token": ""},
        {"document_sha256": ""},
    ]
    rows = ctx.pick("contracts", ctx.count("CON-02", ctx.rows["contracts"]))
    for i, row in enumerate(rows):
        ctx.edit("contracts", row, sign_method=method, **gaps[i % len(gaps)])
        ctx.violation("CON-02", key_of("contracts", row))
    for row in ctx.pick("contracts", 1):
        ctx.edit(
            "contracts",
            row,
            sign_method="handwritten",
            signer_identity_verified="false",
            timestamp_token="",
        )
        ctx.near_miss("CON-02", "handwritten_without_evidence", key_of("contracts", row))


def plant_con_03(ctx: PlantContext) -> None:
    """Contracts that vanish inside their retention period; near-miss: one past it."""
    years = ctx.rules.parameters.con_03.retention_years
    for row in ctx.pick("contracts", ctx.count("CON-03", ctx.rows["contracts"])):
        ctx.vanish("contracts", row)
        ctx.violation("CON-03", key_of("contracts", row))
    for row in ctx.pick("contracts", 1):
        _contract(ctx, row, _years_ago(ctx, years + 1, 0) + 10 * 3600)
        ctx.vanish("contracts", row)
        ctx.near_miss("CON-03", "retention_over", key_of("contracts", row))


def plant_con_04(ctx: PlantContext) -> None:
    """Contracts shipped and not accepted for longer than the acceptance period; near-miss:
    shipped one day inside it."""
    days = ctx.rules.parameters.con_04.acceptance_days

    def shipped(row: int, at: int) -> None:
        _contract(ctx, row, at - 2 * DAY, status="shipped", shipped_at=ts(at), accepted_at="")

    for i, row in enumerate(ctx.pick("contracts", ctx.count("CON-04", ctx.rows["contracts"]))):
        shipped(row, ctx.batch_start - (days + 10 + i) * DAY + 10 * 3600)
        ctx.violation("CON-04", key_of("contracts", row))
    for row in ctx.pick("contracts", 1):
        shipped(row, ctx.batch_start - (days - 1) * DAY + 1800)
        ctx.near_miss("CON-04", "shipped_inside_acceptance_period", key_of("contracts", row))


def planters() -> dict[str, Planter]:
    """The planter of every rule the registry (config/rules.yaml) evaluates from landing data, in
    pack order, found by name (``plant_<rule id>``, e.g. ``plant_mkt_01``). Such a rule without a
    planter is an error: planted = found must stay checkable for every rule. Rules judged from
    the platform's own records (``data_source: access_log``) have nothing to plant in an export."""
    found: dict[str, Planter] = {}
    for rule_id, rule in compliance_rules().rules.items():
        if not (rule.evaluated and rule.model and rule.data_source == "landing"):
            continue
        name = "plant_" + rule_id.lower().replace("-", "_")
        planter = globals().get(name)
        if not callable(planter):
            raise ValueError(f"rule {rule_id} (config/rules.yaml) has no planter {name}()")
        found[rule_id] = planter
    return found


def selected_rules(option: str) -> list[str]:
    """Rule ids named by ``--violations`` (``none``, ``all`` or a comma list of rule ids)."""
    if option == "none":
        return []
    registry = planters()
    if option == "all":
        return list(registry)
    names = [n.strip() for n in option.split(",") if n.strip()]
    unknown = [n for n in names if n not in registry]
    if unknown:
        known = ", ".join(sorted(registry))
        raise ValueError(f"--violations: no planter for {', '.join(unknown)} (known: {known})")
    # planters run in registry order whatever the order given: same batch for the same set
    return [r for r in registry if r in names]


def planters_for(option: str) -> list[Planter]:
    registry = planters()
    return [registry[r] for r in selected_rules(option)]


def plant(ctx: PlantContext, option: str) -> Planting:
    registry = planters()
    for rule_id in selected_rules(option):
        registry[rule_id](ctx)
    return ctx.planting


__all__ = ["PlantContext", "Planting", "plant", "planters", "planters_for", "selected_rules"]
