"""Customer-linked sources (consents, messages, orders, complaints, contracts, reviews, DSRs) and
the small reference sources (campaigns, contract templates, visit expenses, transfers, incidents).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crmguard.demo_data import values
from crmguard.demo_data.customers import DAY, CustomerBase
from crmguard.demo_data.profile import DemoDataProfile
from crmguard.rule_text import fold

CONSENT_PURPOSES = {
    "marketing_sms": 0.25,
    "marketing_email": 0.15,
    "marketing_push": 0.15,
    "marketing_call": 0.05,
    "personalised_recommendation": 0.2,
    "sensitive_pi": 0.08,
    "cross_border": 0.04,
    "third_party_share": 0.05,
    "guardian": 0.03,
}
CATEGORIES = {
    "general": 0.7,
    "perishable": 0.1,
    "digital_download": 0.08,
    "periodical": 0.04,
    "custom_made": 0.08,
}


# a timestamp that never happened (withdrawn_at of a consent still in force, ...)
NEVER = np.iinfo(np.int64).max // 2


@dataclass
class Rules:
    """Rule parameters the clean construction needs, read from config (never literals)."""

    channel_purpose: dict[str, str]  # message channel -> consent purpose
    absolute_terms: list[str]
    allowed_phrases: list[str]
    tier_factors: dict[str, float]
    promo_factors: dict[str, float]
    visit_limits: dict[str, float]
    response_hours: dict[str, float]
    remote_channels: list[str]
    valid_reasons: dict[str, list[str]]  # product category -> reasons that may reject a return
    regulator_levels: list[str]
    regulator_hours: float
    notice_hours: float
    negative_rating: int
    invalid_review_reasons: list[str]
    unfair_clauses: list[str]
    marketing_columns: list[str]  # customers columns declared for marketing
    deadline_days: dict[int, int]  # DSR receipt day -> deadline day (days since epoch)
    first_calendar_day: int
    acceptance_days: int
    unsubscribe_channels: list[str]

    def has_absolute_term(self, text: str) -> bool:
        """Compared as the rule models compare (crmguard.rule_text: １００％ is 100%)."""
        text = fold(text)
        for phrase in self.allowed_phrases:
            text = text.replace(fold(phrase), "")
        return any(fold(term) in text for term in self.absolute_terms)


@dataclass
class Batch:
    """Everything row generators share: customer facts, owners of child rows, text pools."""

    profile: DemoDataProfile
    base: CustomerBase
    owners: dict[str, np.ndarray]  # source -> customer index per row
    order_times: np.ndarray
    review_orders: np.ndarray  # order row index per review
    campaigns: int
    templates: int
    pools: dict[str, list[str]]
    rules: Rules | None = None
    # consents (one per customer and purpose): purpose, granted, withdrawn (NEVER: in force)
    consent_purpose: np.ndarray | None = None
    consent_granted: np.ndarray | None = None
    consent_withdrawn: np.ndarray | None = None
    # messages: the consent each one is sent under, and when
    message_consent: np.ndarray | None = None
    message_sent: np.ndarray | None = None
    order_delivered: np.ndarray | None = None
    order_is_delivered: np.ndarray | None = None
    list_cents: np.ndarray | None = None  # list price per product number
    # customers whose PIPL-sensitive columns hold values (a sensitive_pi consent is in force)
    sensitive_filled: np.ndarray | None = None

    def offset_share(self) -> float:
        return self.profile.offset_timestamp_share

    def after_created(self, owner: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A moment between the customer's creation and the batch date."""
        created = self.base.created_at[owner]
        return created + (rng.random(len(owner)) * (self.base.batch_start - created)).astype(
            np.int64
        )

    def later(self, t: np.ndarray, max_days: float, rng: np.random.Generator) -> np.ndarray:
        """A moment up to ``max_days`` after t; present only when before the batch date."""
        return t + 60 + (rng.random(len(t)) * max_days * DAY).astype(np.int64)

    def ts(self, t: np.ndarray, rng: np.random.Generator, present: np.ndarray | None = None):
        keep = t < self.base.batch_start
        keep = keep if present is None else keep & present
        return values.timestamps(t, rng, self.offset_share(), keep)


def owners_for(rate: float, customers: int, rng: np.random.Generator) -> np.ndarray:
    return np.repeat(np.arange(customers), rng.poisson(rate, customers))


def consents(b: Batch, rng: np.random.Generator, start: int, stop: int) -> dict[str, list[str]]:
    owner = b.owners["consents"][start:stop]
    n = len(owner)
    purpose = b.consent_purpose[start:stop]
    granted = b.consent_granted[start:stop]
    withdrawn = b.consent_withdrawn[start:stop]
    guardian = purpose == "guardian"
    names = values.pick(rng, b.pools["names"], n)
    ids = values.pick(rng, b.pools["resident_ids"], n)
    return {
        "consent_id": values.prefixed_ids("CS", start, stop, 9),
        "customer_id": [f"C{i + 1:08d}" for i in owner.tolist()],
        "purpose": purpose.tolist(),
        "granted_at": b.ts(granted, rng),
        "withdrawn_at": b.ts(withdrawn, rng),
        "notice_version": values.pick(rng, ["v2021.1", "v2022.3", "v2023.2", "v2025.1"], n),
        "channel": values.pick(rng, ["app", "web", "门店", "电话"], n),
        "evidence_hash": values.hex_strings(rng, n, 32),
        "guardian_name": [v if g else "" for v, g in zip(names, guardian.tolist(), strict=True)],
        "guardian_id_number": [v if g else "" for v, g in zip(ids, guardian.tolist(), strict=True)],
    }


def marketing_messages(
    b: Batch, rng: np.random.Generator, start: int, stop: int
) -> dict[str, list[str]]:
    """Each message is sent under a consent of its channel's purpose that is in force (CONS-01)."""
    consent = b.message_consent[start:stop]
    owner = b.owners["consents"][consent]
    n = len(consent)
    sent = b.message_sent[start:stop]
    purpose_channel = {p: c for c, p in b.rules.channel_purpose.items()}
    channel = np.array([purpose_channel[p] for p in b.consent_purpose[consent].tolist()])
    delivered = rng.random(n) < 0.93
    clicked = delivered & (rng.random(n) < 0.08)
    campaign = rng.integers(1, b.campaigns + 1, n)
    # sms/email always carry the unsubscribe link (MKT-02); other channels sometimes do
    link = np.isin(channel, b.rules.unsubscribe_channels) | (rng.random(n) < 0.9)
    return {
        "message_id": values.prefixed_ids("M", start, stop, 10),
        "customer_id": [f"C{i + 1:08d}" for i in owner.tolist()],
        "campaign_id": [f"CP{i:04d}" for i in campaign.tolist()],
        "channel": channel.tolist(),
        "content": values.pick(rng, b.pools["message"], n),
        "sent_at": b.ts(sent, rng),
        "delivery_status": np.where(delivered, "delivered", "failed").tolist(),
        "clicked_at": b.ts(np.minimum(b.later(sent, 3, rng), b.base.batch_start - 1), rng, clicked),
        "has_unsubscribe_link": np.where(link, "true", "false").tolist(),
        "storage_region": b.base.region[owner].tolist(),
    }


def explained_cents(list_cents: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """round(list × factor, 2) in cents, half away from zero (prices are tie-free by design)."""
    return np.floor(list_cents * factor + 0.5).astype(np.int64)


def tie_free_list_prices(cents: np.ndarray, factors: list[float]) -> np.ndarray:
    """Nudge list prices so no tier × promo factor lands on half a cent: any rounding agrees."""
    scale = 10**6
    ints = [round(f * scale) for f in factors]
    cents = cents.copy()
    for _ in range(100):
        tie = np.zeros(len(cents), bool)
        for f in ints:
            tie |= (cents * f) % scale == scale // 2
        if not tie.any():
            return cents
        cents[tie] += 1
    raise ValueError("could not make list prices tie-free")


def orders(b: Batch, rng: np.random.Generator, start: int, stop: int) -> dict[str, list[str]]:
    owner = b.owners["orders"][start:stop]
    n = len(owner)
    r = b.rules
    ordered = b.order_times[start:stop]
    delivered = b.order_delivered[start:stop]
    is_delivered = b.order_is_delivered[start:stop]
    requested = b.later(delivered, 7, rng)
    returned = is_delivered & (rng.random(n) < 0.06) & (requested < b.base.batch_start)
    status = np.where(
        returned, values.weighted_choice(rng, {"approved": 3, "rejected": 1}, n), "none"
    )
    category = values.weighted_choice(rng, CATEGORIES, n)
    channel = values.weighted_choice(rng, b.profile.sales_channel_weights, n)
    # a rejection gives a reason that is valid for the product (CUS-02): not intact, the
    # category's Art. 25 exception, or, for a sale that is not remote, any listed reason
    reason = np.full(n, "", dtype=object)
    rejected = np.flatnonzero(status == "rejected")
    store_reasons = sorted({x for v in r.valid_reasons.values() for x in v} | {"other"})
    picks = rng.random(len(rejected))
    for i, p in zip(rejected.tolist(), picks.tolist(), strict=True):
        options = (
            r.valid_reasons.get(category[i], r.valid_reasons[""])
            if channel[i] in r.remote_channels
            else store_reasons
        )
        reason[i] = options[int(p * len(options))]
    product = rng.integers(1, len(b.list_cents), n)
    list_cents = b.list_cents[product]
    tier = b.base.tier[owner]
    promos = list(r.promo_factors)
    promo_pick = rng.integers(0, len(promos), n)
    has_promo = rng.random(n) < 0.2
    promo = np.where(has_promo, np.array(promos)[promo_pick], "")
    factor = np.array([r.tier_factors[t] for t in tier.tolist()]) * np.where(
        has_promo, np.array([r.promo_factors[p] for p in promos])[promo_pick], 1.0
    )
    return {
        "order_id": values.prefixed_ids("O", start, stop, 9),
        "customer_id": [f"C{i + 1:08d}" for i in owner.tolist()],
        "product_id": [f"P{i:06d}" for i in product.tolist()],
        "product_category": category.tolist(),
        "list_price": values.money(list_cents),
        "charged_price": values.money(explained_cents(list_cents, factor)),
        "member_tier_at_order": tier.tolist(),
        "promo_code": promo.tolist(),
        "sales_channel": channel.tolist(),
        "ordered_at": b.ts(ordered, rng),
        "delivered_at": b.ts(delivered, rng, is_delivered),
        "return_requested_at": b.ts(requested, rng, returned),
        "return_status": status.tolist(),
        "return_reject_reason": reason.tolist(),
    }


def _settled_by(b: Batch, t: np.ndarray, days: float) -> np.ndarray:
    """Keep a moment at least ``days`` before the batch date, so what follows it has happened."""
    return np.minimum(t, b.base.batch_start - int(days * DAY))


def complaints(b: Batch, rng: np.random.Generator, start: int, stop: int) -> dict[str, list[str]]:
    owner = b.owners["complaints"][start:stop]
    n = len(owner)
    severity = values.weighted_choice(rng, {"high": 1, "medium": 3, "low": 6}, n)
    sla_hours = np.array([b.rules.response_hours[s] for s in severity.tolist()])
    received = _settled_by(b, b.after_created(owner, rng), 20)
    # first response well inside the severity's SLA (CUS-01)
    responded = received + 60 + (rng.random(n) * 0.9 * sla_hours * 3600).astype(np.int64)
    resolved = b.later(responded, 10, rng)
    is_resolved = (rng.random(n) < 0.8) & (resolved < b.base.batch_start)
    return {
        "complaint_id": values.prefixed_ids("TS", start, stop, 7),
        "customer_id": [f"C{i + 1:08d}" for i in owner.tolist()],
        "category": values.pick(rng, ["quality", "service", "logistics", "privacy", "billing"], n),
        "severity": severity.tolist(),
        "content": values.pick(rng, b.pools["complaint"], n),
        "received_at": b.ts(received, rng),
        "first_response_at": b.ts(responded, rng),
        "resolved_at": b.ts(resolved, rng, is_resolved),
        "resolution": [
            v if r else ""
            for v, r in zip(
                values.pick(rng, b.pools["resolution"], n), is_resolved.tolist(), strict=True
            )
        ],
        # resolved only with the customer's confirmation (CUS-01)
        "customer_confirmed": np.where(is_resolved, "是", "").tolist(),
    }


def contracts(b: Batch, rng: np.random.Generator, start: int, stop: int) -> dict[str, list[str]]:
    owner = b.owners["contracts"][start:stop]
    n = len(owner)
    status = values.weighted_choice(
        rng, {"signed": 2, "shipped": 2, "accepted": 2, "paid": 5, "disputed": 0.3}, n
    )
    # settled contracts were signed long enough ago that shipping and acceptance happened;
    # contracts still `shipped` were shipped within the acceptance period (CON-04)
    signed = _settled_by(b, b.after_created(owner, rng), b.rules.acceptance_days + 1)
    shipped = b.later(signed, 5, rng)
    accepted = b.later(shipped, 5, rng)
    pending = status == "shipped"
    recent = (
        b.base.batch_start
        - 3600
        - (rng.random(n) * (b.rules.acceptance_days - 2) * DAY).astype(np.int64)
    )
    shipped = np.where(pending, recent, shipped)
    signed = np.where(pending, np.minimum(signed, recent - 3600), signed)
    e_sign = values.weighted_choice(rng, {"e_signature": 8, "handwritten": 2}, n)
    # e-signatures carry identity verification, a timestamp token and a hash (CON-02)
    verified = (e_sign == "e_signature") | (rng.random(n) < 0.9)
    return {
        "contract_id": values.prefixed_ids("HT", start, stop, 8),
        "customer_id": [f"C{i + 1:08d}" for i in owner.tolist()],
        "template_id": [f"T{i:03d}" for i in rng.integers(1, b.templates + 1, n).tolist()],
        "signed_at": b.ts(signed, rng),
        "sign_method": e_sign.tolist(),
        "signer_identity_verified": np.where(verified, "true", "false").tolist(),
        "timestamp_token": ["TSA-" + h for h in values.hex_strings(rng, n, 8)],
        "document_sha256": values.hex_strings(rng, n, 32),
        "status": status.tolist(),
        "shipped_at": b.ts(shipped, rng, status != "signed"),
        "accepted_at": b.ts(accepted, rng, np.isin(status, ["accepted", "paid", "disputed"])),
        "storage_region": b.base.region[owner].tolist(),
    }


def reviews(b: Batch, rng: np.random.Generator, start: int, stop: int) -> dict[str, list[str]]:
    order = b.review_orders[start:stop]
    owner = b.owners["orders"][order]
    n = len(order)
    created = np.minimum(b.later(b.order_times[order], 20, rng), b.base.batch_start - 7200)
    status = values.weighted_choice(rng, {"published": 95, "hidden": 3, "deleted": 2}, n)
    rating = values.weighted_choice(rng, {"1": 0.05, "2": 0.05, "3": 0.15, "4": 0.3, "5": 0.45}, n)
    moderated = status != "published"
    # a negative review is hidden or deleted only for a valid reason (CUS-04)
    valid = [
        r
        for r in ["spam", "privacy", "illegal_content", "other"]
        if r not in b.rules.invalid_review_reasons
    ]
    negative = rating.astype(int) <= b.rules.negative_rating
    reason = np.where(
        moderated,
        np.where(
            negative,
            values.pick(rng, valid, n),
            values.pick(rng, ["spam", "privacy", "illegal_content", "other"], n),
        ),
        "none",
    )
    moderated_at = np.minimum(b.later(created, 2, rng), b.base.batch_start - 60)
    return {
        "review_id": values.prefixed_ids("R", start, stop, 9),
        "customer_id": [f"C{i + 1:08d}" for i in owner.tolist()],
        "order_id": [f"O{i + 1:09d}" for i in order.tolist()],
        "rating": rating.tolist(),
        "content": values.pick(rng, b.pools["review"], n),
        "created_at": b.ts(created, rng),
        "status": status.tolist(),
        "moderation_reason": reason.tolist(),
        "moderated_by": np.where(moderated, "moderator_01", "").tolist(),
        "moderated_at": b.ts(moderated_at, rng, moderated),
    }


def dsr_requests(b: Batch, rng: np.random.Generator, start: int, stop: int) -> dict[str, list[str]]:
    owner = b.owners["dsr_requests"][start:stop]
    n = len(owner)
    batch_day = b.base.batch_start // DAY
    # requests fall in the years the working-day calendar covers (DATA-05 needs it)
    received = np.maximum(b.after_created(owner, rng), b.rules.first_calendar_day * DAY + 3600)
    is_open = rng.random(n) < 0.05
    # an open request arrived the day before the batch date: its deadline has not passed
    received = np.where(is_open, (batch_day - 1) * DAY + 3600, _settled_by(b, received, 8))
    days = (received // DAY).tolist()
    deadline_end = np.array([(b.rules.deadline_days[d] + 1) * DAY for d in days], np.int64)
    # answered before the end of the deadline day (and before the batch date)
    room = np.minimum(deadline_end, b.base.batch_start) - 60 - received
    completed = received + 60 + (rng.random(n) * 0.9 * room).astype(np.int64)
    status = np.where(
        is_open, "open", values.weighted_choice(rng, {"completed": 9, "rejected": 1}, n)
    )
    kinds = ["access", "copy", "correct", "delete", "explain_decision", "withdraw_consent"]
    kind = np.array(values.pick(rng, kinds, n))
    # a completed deletion would have removed the customer from the extract: none in a clean batch
    kind = np.where((kind == "delete") & (status == "completed"), "access", kind)
    return {
        "request_id": values.prefixed_ids("DSR", start, stop, 7),
        "customer_id": [f"C{i + 1:08d}" for i in owner.tolist()],
        "request_type": kind.tolist(),
        "received_at": b.ts(received, rng),
        "completed_at": b.ts(completed, rng, status != "open"),
        "status": status.tolist(),
        "rejection_reason": np.where(status == "rejected", "无法核实身份", "").tolist(),
    }


def _recent(b: Batch, rng: np.random.Generator, n: int, years: float = 3) -> np.ndarray:
    return b.base.batch_start - 3600 - (rng.random(n) * years * 365 * DAY).astype(np.int64)


def campaigns(b: Batch, rng: np.random.Generator, start: int, stop: int) -> dict[str, list[str]]:
    n = stop - start
    purposes = [
        "marketing_sms",
        "marketing_email",
        "marketing_push",
        "marketing_call",
        "service_notice",
    ]
    # only columns declared for marketing (DATA-06)
    columns = b.rules.marketing_columns
    width = rng.integers(1, min(3, len(columns)) + 1, n)
    fields = [
        ",".join(columns[j] for j in sorted(rng.choice(len(columns), w, replace=False).tolist()))
        for w in width.tolist()
    ]
    return {
        "campaign_id": values.prefixed_ids("CP", start, stop, 4),
        "name": values.pick(rng, b.pools["campaign"], n),
        "purpose": values.pick(rng, purposes, n),
        "content_template": values.pick(rng, b.pools["message"], n),
        "data_fields_used": fields,
        "approved_by": values.pick(rng, b.pools["names"], n),
        "approved_at": b.ts(_recent(b, rng, n, b.profile.history_years), rng),
    }


def contract_templates(
    b: Batch, rng: np.random.Generator, start: int, stop: int
) -> dict[str, list[str]]:
    n = stop - start
    titles = b.profile.phrases["template"]
    # no configured unfair clause in a clean template (CON-01)
    clauses = [
        c for c in b.profile.phrases["clause"] if not any(u in c for u in b.rules.unfair_clauses)
    ]
    return {
        "template_id": values.prefixed_ids("T", start, stop, 3),
        "title": [titles[i % len(titles)] for i in range(start, stop)],
        "clause_text": ["。".join(values.pick(rng, clauses, 3)) + "。" for _ in range(n)],
        "version": [f"{1 + i // len(titles)}.{i % 3}" for i in range(start, stop)],
        "effective_from": values.dates(_recent(b, rng, n, 5) // DAY),
    }


def visit_expenses(
    b: Batch, rng: np.random.Generator, start: int, stop: int
) -> dict[str, list[str]]:
    n = stop - start
    kind = values.weighted_choice(rng, {"gift": 2, "meal": 5, "travel": 3, "other": 1}, n)
    cents = (np.exp(rng.normal(6.5, 0.8, n)) * 100).astype(np.int64)
    # gifts and meals stay within the per-visit limit (MKT-05); every expense has an invoice
    limit = np.array([b.rules.visit_limits.get(k, 0.0) for k in kind.tolist()]) * 100
    capped = (limit * rng.uniform(0.2, 0.95, n)).astype(np.int64)
    cents = np.where(limit > 0, capped, cents)
    return {
        "expense_id": values.prefixed_ids("VE", start, stop, 6),
        "sales_rep_id": [f"S{i:04d}" for i in rng.integers(1, 200, n).tolist()],
        "customer_org": values.pick(rng, b.pools["companies"], n),
        "counterpart_role": values.pick(rng, b.profile.phrases["counterpart_role"], n),
        "expense_type": kind.tolist(),
        "amount": values.money(cents),
        "invoice_no": values.digit_strings(rng, n, 20),
        "visited_at": b.ts(_recent(b, rng, n), rng),
    }


def transfer_years_start(b: Batch) -> int:
    """Clean transfers fall from 1 January two years before the batch year (DATA-04 planting
    uses the earlier years, each alone in its calendar year)."""
    year = int(str(np.datetime64(b.base.batch_start // DAY, "D"))[:4])
    return int((np.datetime64(f"{year - 2}-01-01", "D") - np.datetime64(0, "D")).astype(int))


def data_transfers(
    b: Batch, rng: np.random.Generator, start: int, stop: int
) -> dict[str, list[str]]:
    n = stop - start
    total = rng.integers(10, max(11, b.base.count), n)
    exempt = values.weighted_choice(
        rng, {"none": 5, "contract_performance": 3, "hr_management": 1, "other": 1}, n
    )
    # every transfer that counts towards the thresholds has an approved security assessment,
    # which satisfies every requirement (DATA-04); exempt ones may have none
    counted = np.isin(exempt, ["none", "other"])
    mechanism = np.where(
        counted, "security_assessment", values.pick(rng, ["standard_contract", "none"], n)
    )
    first = transfer_years_start(b) * DAY
    when = first + (rng.random(n) * (b.base.batch_start - 3600 - first)).astype(np.int64)
    return {
        "transfer_id": values.prefixed_ids("DT", start, stop, 5),
        "dataset": values.pick(rng, b.profile.phrases["dataset"], n),
        "destination_country": values.pick(rng, ["SG", "DE", "US", "JP", "HK"], n),
        "recipient": values.pick(rng, b.profile.phrases["recipient"], n),
        "individuals_count": total.astype(str).tolist(),
        "sensitive_individuals_count": (total // rng.integers(5, 50, n)).astype(str).tolist(),
        "exemption_basis": exempt.tolist(),
        "mechanism": mechanism.tolist(),
        "approval_ref": [f"APR-{d}" for d in values.digit_strings(rng, n, 6)],
        "transferred_at": b.ts(when, rng),
    }


def security_incidents(
    b: Batch, rng: np.random.Generator, start: int, stop: int
) -> dict[str, list[str]]:
    n = stop - start
    r = b.rules
    detected = _settled_by(b, _recent(b, rng, n), 5)
    level = values.weighted_choice(
        rng, {"general": 6, "major": 3, "serious": 1, "especially_serious": 0.2}, n
    )
    affected = rng.integers(0, max(1, b.base.count // 10), n)
    contained = b.later(detected, 2, rng)
    # regulator and customers informed well inside their limits (CUS-03)
    notified = detected + 60 + (rng.random(n) * 0.9 * r.notice_hours * 3600).astype(np.int64)
    reported = detected + 60 + (rng.random(n) * 0.9 * r.regulator_hours * 3600).astype(np.int64)
    must_report = np.isin(level, r.regulator_levels)
    return {
        "incident_id": values.prefixed_ids("SI", start, stop, 4),
        "level": level.tolist(),
        "detected_at": b.ts(detected, rng),
        "affected_customers": affected.astype(str).tolist(),
        "contained_at": b.ts(contained, rng),
        "customers_notified_at": b.ts(notified, rng, (affected > 0) | (rng.random(n) < 0.5)),
        "regulator_reported_at": b.ts(reported, rng, must_report | (rng.random(n) < 0.3)),
    }
