"""Customer-linked sources (consents, messages, orders, complaints, contracts, reviews, DSRs) and
the small reference sources (campaigns, contract templates, visit expenses, transfers, incidents).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crmguard.demo_data import values
from crmguard.demo_data.customers import DAY, CustomerBase
from crmguard.demo_data.profile import DemoDataProfile

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
    purpose = values.weighted_choice(rng, CONSENT_PURPOSES, n)
    granted = b.after_created(owner, rng)
    withdrawn = b.later(granted, 400, rng)
    guardian = purpose == "guardian"
    names = values.pick(rng, b.pools["names"], n)
    ids = values.pick(rng, b.pools["resident_ids"], n)
    return {
        "consent_id": values.prefixed_ids("CS", start, stop, 9),
        "customer_id": [f"C{i + 1:08d}" for i in owner.tolist()],
        "purpose": purpose.tolist(),
        "granted_at": b.ts(granted, rng),
        "withdrawn_at": b.ts(withdrawn, rng, rng.random(n) < 0.15),
        "notice_version": values.pick(rng, ["v2021.1", "v2022.3", "v2023.2", "v2025.1"], n),
        "channel": values.pick(rng, ["app", "web", "门店", "电话"], n),
        "evidence_hash": values.hex_strings(rng, n, 32),
        "guardian_name": [v if g else "" for v, g in zip(names, guardian.tolist(), strict=True)],
        "guardian_id_number": [v if g else "" for v, g in zip(ids, guardian.tolist(), strict=True)],
    }


def marketing_messages(
    b: Batch, rng: np.random.Generator, start: int, stop: int
) -> dict[str, list[str]]:
    owner = b.owners["marketing_messages"][start:stop]
    n = len(owner)
    sent = b.after_created(owner, rng)
    delivered = rng.random(n) < 0.93
    clicked = delivered & (rng.random(n) < 0.08)
    campaign = rng.integers(1, b.campaigns + 1, n)
    return {
        "message_id": values.prefixed_ids("M", start, stop, 10),
        "customer_id": [f"C{i + 1:08d}" for i in owner.tolist()],
        "campaign_id": [f"CP{i:04d}" for i in campaign.tolist()],
        "channel": values.weighted_choice(rng, b.profile.message_channel_weights, n).tolist(),
        "content": values.pick(rng, b.pools["message"], n),
        "sent_at": b.ts(sent, rng),
        "delivery_status": np.where(delivered, "delivered", "failed").tolist(),
        "clicked_at": b.ts(b.later(sent, 3, rng), rng, clicked),
        "has_unsubscribe_link": np.where(rng.random(n) < 0.9, "true", "false").tolist(),
        "storage_region": b.base.region[owner].tolist(),
    }


def orders(b: Batch, rng: np.random.Generator, start: int, stop: int) -> dict[str, list[str]]:
    owner = b.owners["orders"][start:stop]
    n = len(owner)
    ordered = b.order_times[start:stop]
    delivered = b.later(ordered, 7, rng)
    is_delivered = (delivered < b.base.batch_start) & (rng.random(n) < 0.95)
    returned = is_delivered & (rng.random(n) < 0.06)
    status = np.where(
        returned, values.weighted_choice(rng, {"approved": 3, "rejected": 1}, n), "none"
    )
    reasons = [
        "custom_made",
        "perishable",
        "digital_unsealed",
        "periodical",
        "not_intact",
        "special_price",
        "other",
    ]
    reason = np.where(status == "rejected", np.array(reasons)[rng.integers(0, 7, n)], "")
    list_cents = (np.exp(rng.normal(5.0, 1.0, n)) * 100).astype(np.int64) + 100
    charged = (list_cents * rng.uniform(0.7, 1.0, n)).astype(np.int64)
    promo = np.where(
        rng.random(n) < 0.2, "PROMO" + np.strings.zfill(rng.integers(0, 999, n).astype(str), 3), ""
    )
    return {
        "order_id": values.prefixed_ids("O", start, stop, 9),
        "customer_id": [f"C{i + 1:08d}" for i in owner.tolist()],
        "product_id": [f"P{i:06d}" for i in rng.integers(1, 50_000, n).tolist()],
        "product_category": values.weighted_choice(rng, CATEGORIES, n).tolist(),
        "list_price": values.money(list_cents),
        "charged_price": values.money(charged),
        "member_tier_at_order": b.base.tier[owner].tolist(),
        "promo_code": promo.tolist(),
        "sales_channel": values.weighted_choice(rng, b.profile.sales_channel_weights, n).tolist(),
        "ordered_at": b.ts(ordered, rng),
        "delivered_at": b.ts(delivered, rng, is_delivered),
        "return_requested_at": b.ts(b.later(delivered, 7, rng), rng, returned),
        "return_status": status.tolist(),
        "return_reject_reason": reason.tolist(),
    }


def complaints(b: Batch, rng: np.random.Generator, start: int, stop: int) -> dict[str, list[str]]:
    owner = b.owners["complaints"][start:stop]
    n = len(owner)
    received = b.after_created(owner, rng)
    responded = b.later(received, 2, rng)
    resolved = b.later(responded, 10, rng)
    is_resolved = rng.random(n) < 0.8
    return {
        "complaint_id": values.prefixed_ids("TS", start, stop, 7),
        "customer_id": [f"C{i + 1:08d}" for i in owner.tolist()],
        "category": values.pick(rng, ["quality", "service", "logistics", "privacy", "billing"], n),
        "severity": values.weighted_choice(rng, {"high": 1, "medium": 3, "low": 6}, n).tolist(),
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
        "customer_confirmed": np.where(
            is_resolved, np.where(rng.random(n) < 0.8, "是", "否"), ""
        ).tolist(),
    }


def contracts(b: Batch, rng: np.random.Generator, start: int, stop: int) -> dict[str, list[str]]:
    owner = b.owners["contracts"][start:stop]
    n = len(owner)
    signed = b.after_created(owner, rng)
    status = values.weighted_choice(
        rng, {"signed": 2, "shipped": 2, "accepted": 2, "paid": 5, "disputed": 0.3}, n
    )
    shipped = b.later(signed, 5, rng)
    accepted = b.later(shipped, 5, rng)
    return {
        "contract_id": values.prefixed_ids("HT", start, stop, 8),
        "customer_id": [f"C{i + 1:08d}" for i in owner.tolist()],
        "template_id": [f"T{i:03d}" for i in rng.integers(1, b.templates + 1, n).tolist()],
        "signed_at": b.ts(signed, rng),
        "sign_method": values.weighted_choice(
            rng, {"e_signature": 8, "handwritten": 2}, n
        ).tolist(),
        "signer_identity_verified": np.where(rng.random(n) < 0.9, "true", "false").tolist(),
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
    created = np.minimum(b.later(b.order_times[order], 20, rng), b.base.batch_start - 1)
    status = values.weighted_choice(rng, {"published": 95, "hidden": 3, "deleted": 2}, n)
    moderated = status != "published"
    reason = np.where(
        moderated, values.pick(rng, ["spam", "privacy", "illegal_content", "other"], n), "none"
    )
    return {
        "review_id": values.prefixed_ids("R", start, stop, 9),
        "customer_id": [f"C{i + 1:08d}" for i in owner.tolist()],
        "order_id": [f"O{i + 1:09d}" for i in order.tolist()],
        "rating": values.weighted_choice(
            rng, {"1": 0.05, "2": 0.05, "3": 0.15, "4": 0.3, "5": 0.45}, n
        ).tolist(),
        "content": values.pick(rng, b.pools["review"], n),
        "created_at": b.ts(created, rng),
        "status": status.tolist(),
        "moderation_reason": reason.tolist(),
        "moderated_by": np.where(moderated, "moderator_01", "").tolist(),
        "moderated_at": b.ts(b.later(created, 2, rng), rng, moderated),
    }


def dsr_requests(b: Batch, rng: np.random.Generator, start: int, stop: int) -> dict[str, list[str]]:
    owner = b.owners["dsr_requests"][start:stop]
    n = len(owner)
    received = b.after_created(owner, rng)
    completed = b.later(received, 20, rng)
    status = np.where(
        completed < b.base.batch_start,
        values.weighted_choice(rng, {"completed": 9, "rejected": 1}, n),
        "open",
    )
    kinds = ["access", "copy", "correct", "delete", "explain_decision", "withdraw_consent"]
    return {
        "request_id": values.prefixed_ids("DSR", start, stop, 7),
        "customer_id": [f"C{i + 1:08d}" for i in owner.tolist()],
        "request_type": values.pick(rng, kinds, n),
        "received_at": b.ts(received, rng),
        "completed_at": b.ts(completed, rng, status == "completed"),
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
    fields = ["mobile,member_tier", "email,birth_date", "mobile,gps_location", "member_tier"]
    return {
        "campaign_id": values.prefixed_ids("CP", start, stop, 4),
        "name": values.pick(rng, b.pools["campaign"], n),
        "purpose": values.pick(rng, purposes, n),
        "content_template": values.pick(rng, b.profile.phrases["message"], n),
        "data_fields_used": values.pick(rng, fields, n),
        "approved_by": values.pick(rng, b.pools["names"], n),
        "approved_at": b.ts(_recent(b, rng, n, b.profile.history_years), rng),
    }


def contract_templates(
    b: Batch, rng: np.random.Generator, start: int, stop: int
) -> dict[str, list[str]]:
    n = stop - start
    titles = b.profile.phrases["template"]
    return {
        "template_id": values.prefixed_ids("T", start, stop, 3),
        "title": [titles[i % len(titles)] for i in range(start, stop)],
        "clause_text": [
            "。".join(values.pick(rng, b.profile.phrases["clause"], 3)) + "。" for _ in range(n)
        ],
        "version": [f"{1 + i // len(titles)}.{i % 3}" for i in range(start, stop)],
        "effective_from": values.dates(_recent(b, rng, n, 5) // DAY),
    }


def visit_expenses(
    b: Batch, rng: np.random.Generator, start: int, stop: int
) -> dict[str, list[str]]:
    n = stop - start
    return {
        "expense_id": values.prefixed_ids("VE", start, stop, 6),
        "sales_rep_id": [f"S{i:04d}" for i in rng.integers(1, 200, n).tolist()],
        "customer_org": values.pick(rng, b.pools["companies"], n),
        "counterpart_role": values.pick(rng, b.profile.phrases["counterpart_role"], n),
        "expense_type": values.weighted_choice(
            rng, {"gift": 2, "meal": 5, "travel": 3, "other": 1}, n
        ).tolist(),
        "amount": values.money((np.exp(rng.normal(6.5, 0.8, n)) * 100).astype(np.int64)),
        "invoice_no": values.digit_strings(rng, n, 20),
        "visited_at": b.ts(_recent(b, rng, n), rng),
    }


def data_transfers(
    b: Batch, rng: np.random.Generator, start: int, stop: int
) -> dict[str, list[str]]:
    n = stop - start
    total = rng.integers(10, max(11, b.base.count), n)
    mechanisms = {"security_assessment": 1, "standard_contract": 3, "certification": 1, "none": 1}
    return {
        "transfer_id": values.prefixed_ids("DT", start, stop, 5),
        "dataset": values.pick(rng, b.profile.phrases["dataset"], n),
        "destination_country": values.pick(rng, ["SG", "DE", "US", "JP", "HK"], n),
        "recipient": values.pick(rng, b.profile.phrases["recipient"], n),
        "individuals_count": total.astype(str).tolist(),
        "sensitive_individuals_count": (total // rng.integers(5, 50, n)).astype(str).tolist(),
        "exemption_basis": values.weighted_choice(
            rng, {"none": 5, "contract_performance": 3, "hr_management": 1, "other": 1}, n
        ).tolist(),
        "mechanism": values.weighted_choice(rng, mechanisms, n).tolist(),
        "approval_ref": [f"APR-{d}" for d in values.digit_strings(rng, n, 6)],
        "transferred_at": b.ts(_recent(b, rng, n), rng),
    }


def security_incidents(
    b: Batch, rng: np.random.Generator, start: int, stop: int
) -> dict[str, list[str]]:
    n = stop - start
    detected = _recent(b, rng, n)
    contained = b.later(detected, 2, rng)
    notified = b.later(contained, 5, rng)
    reported = b.later(detected, 3, rng)
    return {
        "incident_id": values.prefixed_ids("SI", start, stop, 4),
        "level": values.weighted_choice(
            rng, {"general": 6, "major": 3, "serious": 1, "especially_serious": 0.2}, n
        ).tolist(),
        "detected_at": b.ts(detected, rng),
        "affected_customers": rng.integers(0, max(1, b.base.count // 10), n).astype(str).tolist(),
        "contained_at": b.ts(contained, rng),
        "customers_notified_at": b.ts(notified, rng, rng.random(n) < 0.7),
        "regulator_reported_at": b.ts(reported, rng, rng.random(n) < 0.6),
    }
