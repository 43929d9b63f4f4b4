"""A tiny lake for dbt tests: protected and restricted Parquet, manifests and catalog, by contract.

It follows the protect stage's naming contract exactly (customer_token, <col>_token/<col>_mask,
generalised C2 forms, _batch_date, _key_version, _protection.json, catalog.json). A raw layer with
clear values is written too, as a trap: any model reading it would leak the CANARIES below.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

BATCH_DATE = "2026-03-15"

# clear C1/C2 values that exist only in raw/restricted: none may appear in an analyst mart
CANARIES = [
    "张三",
    "李四",
    "zhangsan@qq.com",
    "lisi@163.com",
    "广东省深圳市南山区科技园1号",
    "1990-05-17",
    "110101199005171234",
    "13812345678",
    "39.91234,116.40321",
    "712",
    "180000.00",
]

# source column -> (entity, tier, protection, protected form, protected outputs,
#                   restricted form, restricted outputs)
TOKEN_KEY = (
    "CUSTOMER_ID",
    "C2",
    "token_key",
    "token",
    ["customer_token"],
    "token",
    ["customer_token"],
)


def _pass(entity: str = "NONE") -> tuple:
    return (entity, "C3", "pass", "clear", None, "clear", None)


def _c1(entity: str, col: str) -> tuple:
    outs = [f"{col}_token", f"{col}_mask"]
    return (entity, "C1", "vault_token_mask", "mask", outs, "mask", outs)


COLUMNS: dict[str, dict[str, tuple]] = {
    "customers": {
        "customer_id": TOKEN_KEY,
        "name": (
            "PERSON_NAME",
            "C2",
            "restricted_generalise",
            "generalised",
            ["name_masked"],
            "clear",
            None,
        ),
        "id_type": _pass(),
        "id_number": _c1("CN_RESIDENT_ID", "id_number"),
        "mobile": _c1("CN_MOBILE", "mobile"),
        "email": (
            "EMAIL",
            "C2",
            "restricted_generalise",
            "generalised",
            ["email_masked"],
            "clear",
            None,
        ),
        "address": (
            "ADDRESS",
            "C2",
            "restricted_generalise",
            "generalised",
            ["address_region"],
            "clear",
            None,
        ),
        "birth_date": (
            "DATE_OF_BIRTH",
            "C2",
            "restricted_generalise",
            "generalised",
            ["birth_year"],
            "clear",
            None,
        ),
        "gender": _pass(),
        "marital_status": (
            "MARITAL_STATUS",
            "C2",
            "restricted_generalise",
            "dropped",
            [],
            "clear",
            None,
        ),
        "children_info": ("NONE", "C3", "pass", "dropped", [], "dropped", []),
        "gps_location": _c1("GEO_LOCATION", "gps_location"),
        "credit_score": (
            "CREDIT_SCORE",
            "C2",
            "restricted_generalise",
            "band",
            ["credit_score_band"],
            "clear",
            None,
        ),
        "annual_income": (
            "INCOME",
            "C2",
            "restricted_generalise",
            "band",
            ["annual_income_band"],
            "clear",
            None,
        ),
        "member_tier": _pass(),
        "storage_region": _pass(),
        "created_at": _pass(),
        "updated_at": _pass(),
        "status": _pass(),
        "closed_at": _pass(),
    },
    "consents": {
        "consent_id": _pass(),
        "customer_id": TOKEN_KEY,
        "purpose": _pass(),
        "granted_at": _pass(),
        "withdrawn_at": _pass(),
        "notice_version": _pass(),
        "channel": _pass(),
        "evidence_hash": _pass(),
        "guardian_name": (
            "PERSON_NAME",
            "C2",
            "restricted_generalise",
            "generalised",
            ["guardian_name_masked"],
            "clear",
            None,
        ),
        "guardian_id_number": _c1("CN_RESIDENT_ID", "guardian_id_number"),
    },
    "campaigns": {
        "campaign_id": _pass(),
        "name": _pass(),
        "purpose": _pass(),
        "content_template": ("FREE_TEXT_PII", "C2", "pass", "scrubbed", None, "scrubbed", None),
        "data_fields_used": _pass(),
        "approved_by": (
            "PERSON_NAME",
            "C2",
            "restricted_generalise",
            "generalised",
            ["approved_by_masked"],
            "clear",
            None,
        ),
        "approved_at": _pass(),
    },
    "marketing_messages": {
        "message_id": _pass(),
        "customer_id": TOKEN_KEY,
        "campaign_id": _pass(),
        "channel": _pass(),
        "content": ("FREE_TEXT_PII", "C2", "pass", "scrubbed", None, "scrubbed", None),
        "sent_at": _pass(),
        "delivery_status": _pass(),
        "clicked_at": _pass(),
        "has_unsubscribe_link": _pass(),
        "storage_region": _pass(),
    },
    "orders": {
        "order_id": _pass(),
        "customer_id": TOKEN_KEY,
        "product_id": _pass(),
        "product_category": _pass(),
        "list_price": _pass("TRANSACTION_AMOUNT"),
        "charged_price": _pass("TRANSACTION_AMOUNT"),
        "member_tier_at_order": _pass(),
        "promo_code": _pass(),
        "sales_channel": _pass(),
        "ordered_at": _pass(),
        "delivered_at": _pass(),
        "return_requested_at": _pass(),
        "return_status": _pass(),
        "return_reject_reason": _pass(),
    },
}


def _all_pass(columns: str, customer: bool = True, **special: tuple) -> dict[str, tuple]:
    """Column specs of a source whose columns are C3 pass (customer_id a token key)."""
    specs = {c.strip(): _pass() for c in columns.split(",")}
    if customer:
        specs["customer_id"] = TOKEN_KEY
    specs.update(special)
    return specs


# the other sources: one or two clean rows each, so every rule model has a population
COLUMNS.update(
    {
        "complaints": _all_pass(
            "complaint_id, customer_id, category, severity, content, received_at, "
            "first_response_at, resolved_at, resolution, customer_confirmed"
        ),
        "contract_templates": _all_pass(
            "template_id, title, clause_text, version, effective_from", customer=False
        ),
        "contracts": _all_pass(
            "contract_id, customer_id, template_id, signed_at, sign_method, "
            "signer_identity_verified, timestamp_token, document_sha256, status, shipped_at, "
            "accepted_at, storage_region"
        ),
        "data_transfers": _all_pass(
            "transfer_id, dataset, destination_country, recipient, individuals_count, "
            "sensitive_individuals_count, exemption_basis, mechanism, approval_ref, transferred_at",
            customer=False,
        ),
        "dsr_requests": _all_pass(
            "request_id, customer_id, request_type, received_at, completed_at, status, "
            "rejection_reason"
        ),
        "reviews": _all_pass(
            "review_id, customer_id, order_id, rating, content, created_at, status, "
            "moderation_reason, moderated_by, moderated_at",
            content=("FREE_TEXT_PII", "C2", "pass", "scrubbed", None, "scrubbed", None),
        ),
        "security_incidents": _all_pass(
            "incident_id, level, detected_at, affected_customers, contained_at, "
            "customers_notified_at, regulator_reported_at",
            customer=False,
        ),
        "visit_expenses": _all_pass(
            "expense_id, sales_rep_id, customer_org, counterpart_role, expense_type, amount, "
            "invoice_no, visited_at",
            customer=False,
        ),
    }
)

T1, T2, T3, T4 = "a1" * 16, "b2" * 16, "c3" * 16, "d4" * 16

CUSTOMERS_PROTECTED = f"""
select * from (values
  ('{T1}', '张*', 'RESIDENT_ID', 'e1', '110101********1234', 'f1', '138****5678', 'z***@qq.com',
   '广东省深圳市', 1990, 'F', 'g1', '39.9,116.4', '[650,750)', '[100000,200000)', 'gold', 'CN-GD',
   timestamptz '2025-01-01 02:00:00+00', timestamptz '2026-03-01 02:00:00+00', 'active', null),
  ('{T2}', '李*', 'RESIDENT_ID', 'e2', '310101********4321', 'f2', '139****0000', 'l***@163.com',
   '上海市', 1985, 'M', 'g2', '31.2,121.5', '[550,650)', '[50000,100000)', 'silver', 'CN-SH',
   timestamptz '2025-02-01 02:00:00+00', timestamptz '2026-03-02 02:00:00+00', 'active', null),
  ('{T3}', '王*', 'PASSPORT', 'e3', 'E****123', 'f3', '137****1111', null,
   '北京市', 1970, 'M', null, null, null, null, 'basic', 'CN-BJ',
   timestamptz '2024-01-01 02:00:00+00', timestamptz '2026-03-03 02:00:00+00', 'closed',
   timestamptz '2026-03-03 02:00:00+00'),
  ('{T4}', '赵*', 'RESIDENT_ID', 'e4', '440301********0011', 'f4', '136****2222', 'w***@qq.com',
   '广东省广州市', 2001, 'F', null, null, '[350,550)', '[0,50000)', 'basic', 'CN-GD',
   timestamptz '2025-06-01 02:00:00+00', timestamptz '2026-03-04 02:00:00+00', 'active', null)
) t(customer_token, name_masked, id_type, id_number_token, id_number_mask, mobile_token,
    mobile_mask, email_masked, address_region, birth_year, gender, gps_location_token,
    gps_location_mask, credit_score_band, annual_income_band, member_tier, storage_region,
    created_at, updated_at, status, closed_at)
"""

CUSTOMERS_RESTRICTED = f"""
select * from (values
  ('{T1}', '张三', 'RESIDENT_ID', 'e1', '110101********1234', 'f1', '138****5678',
   'zhangsan@qq.com',
   '广东省深圳市南山区科技园1号', date '1990-05-17', 'F', '已婚', 'g1', '39.9,116.4', 712,
   180000.00::decimal(18,2), 'gold', 'CN-GD', timestamptz '2025-01-01 02:00:00+00',
   timestamptz '2026-03-01 02:00:00+00', 'active', null, date '1990-05-17'),
  ('{T2}', '李四', 'RESIDENT_ID', 'e2', '310101********4321', 'f2', '139****0000', 'lisi@163.com',
   '上海市浦东新区1号', date '1985-01-02', 'M', null, 'g2', '31.2,121.5', 600,
   80000.00::decimal(18,2), 'silver', 'CN-SH', timestamptz '2025-02-01 02:00:00+00',
   timestamptz '2026-03-02 02:00:00+00', 'active', null, date '1985-01-02'),
  ('{T3}', '王五', 'PASSPORT', 'e3', 'E****123', 'f3', '137****1111', null,
   '北京市东城区1号', date '1970-01-01', 'M', null, null, null, null, null, 'basic', 'CN-BJ',
   timestamptz '2024-01-01 02:00:00+00', timestamptz '2026-03-03 02:00:00+00', 'closed',
   timestamptz '2026-03-03 02:00:00+00', null),
  ('{T4}', '赵六', 'RESIDENT_ID', 'e4', '440301********0011', 'f4', '136****2222', 'wl@qq.com',
   '广东省广州市天河区1号', date '2001-09-09', 'F', null, null, null, 500,
   20000.00::decimal(18,2), 'basic', 'CN-GD', timestamptz '2025-06-01 02:00:00+00',
   timestamptz '2026-03-04 02:00:00+00', 'active', null, date '2001-09-09')
) t(customer_token, name, id_type, id_number_token, id_number_mask, mobile_token, mobile_mask,
    email, address, birth_date, gender, marital_status, gps_location_token, gps_location_mask,
    credit_score, annual_income, member_tier, storage_region, created_at, updated_at, status,
    closed_at, birth_date_from_id)
"""

CUSTOMERS_RAW = """
select * from (values
  ('CUST001', '张三', '110101199005171234', '13812345678', 'zhangsan@qq.com',
   '广东省深圳市南山区科技园1号', date '1990-05-17', '39.91234,116.40321', 712,
   180000.00::decimal(18,2), 'active')
) t(customer_id, name, id_number, mobile, email, address, birth_date, gps_location, credit_score,
    annual_income, status)
"""

# consents: the edge cases of CONS-01 around the messages below and the batch end
# (2026-03-16 00:00 Asia/Shanghai = 2026-03-15 16:00 UTC)
CONSENTS_COLUMNS = (
    "consent_id, customer_token, purpose, granted_at, withdrawn_at, notice_version, channel, "
    "evidence_hash"
)
CONSENTS_ROWS = f"""
  ('K1', '{T1}', 'marketing_sms', timestamptz '2026-03-01 00:00:00+00', null, 'v1', 'app', 'h1'),
  ('K2', '{T1}', 'marketing_email', timestamptz '2026-03-01 00:00:00+00',
   timestamptz '2026-03-10 00:00:00+00', 'v1', 'web', 'h2'),
  ('K3', '{T1}', 'marketing_email', timestamptz '2026-03-12 00:00:00+00', null, 'v2', 'web', 'h3'),
  ('K4', '{T2}', 'marketing_sms', timestamptz '2026-03-05 08:00:00+00',
   timestamptz '2026-03-15 15:00:00+00', 'v1', 'store', 'h4'),
  ('K5', '{T3}', 'marketing_sms', timestamptz '2026-01-01 00:00:00+00', null, 'v1', 'app', 'h5'),
  ('K6', '{T2}', 'marketing_push', timestamptz '2026-03-15 17:00:00+00', null, 'v2', 'app', 'h6'),
  ('K7', '{T2}', 'marketing_email', timestamptz '2026-03-15 15:59:59+00', null, 'v2', 'web', 'h7'),
  ('K8', '{T4}', 'guardian', timestamptz '2026-01-01 00:00:00+00', null, 'v1', 'store', 'h8')
"""
CONSENTS_PROTECTED = f"""
select c.*,
  case when consent_id = 'K8' then '王*' end as guardian_name_masked,
  case when consent_id = 'K8' then 'e9' end as guardian_id_number_token,
  case when consent_id = 'K8' then '110101********9999' end as guardian_id_number_mask
from (values {CONSENTS_ROWS}) c({CONSENTS_COLUMNS})
"""
CONSENTS_RESTRICTED = f"""
select c.*,
  case when consent_id = 'K8' then '王大' end as guardian_name,
  case when consent_id = 'K8' then 'e9' end as guardian_id_number_token,
  case when consent_id = 'K8' then '110101********9999' end as guardian_id_number_mask,
  case when consent_id = 'K8' then date '1971-03-02' end as birth_date_from_id
from (values {CONSENTS_ROWS}) c({CONSENTS_COLUMNS})
"""

CAMPAIGNS_RESTRICTED = """
select * from (values
  ('CP1', '春季短信', 'marketing_sms', '回复TD退订 <CN_MOBILE>', 'mobile,member_tier', '王芳',
   timestamptz '2026-02-01 00:00:00+00'),
  ('CP2', '邮件周刊', 'marketing_email', '点击退订', 'email', '王芳',
   timestamptz '2026-02-01 00:00:00+00'),
  ('CP3', '推送', 'marketing_push', '新品', 'gps_location', '李强',
   timestamptz '2026-02-01 00:00:00+00')
) t(campaign_id, name, purpose, content_template, data_fields_used, approved_by, approved_at)
"""

# the approver's name is PERSON_NAME (C2): generalised in protected, as the demo data classifies
CAMPAIGNS_PROTECTED = (
    "select * exclude (approved_by), left(approved_by, 1) || '*' as approved_by_masked from ("
    + CAMPAIGNS_RESTRICTED
    + ")"
)

MESSAGES = f"""
select * from (values
  ('M1', '{T1}', 'CP1', 'sms', '您好 回复TD退订', timestamptz '2026-03-01 00:00:00+00',
   'delivered', timestamptz '2026-03-01 01:00:00+00', true, 'CN-GD'),
  ('M2', '{T1}', 'CP2', 'email', '周刊', timestamptz '2026-03-10 00:00:00+00', 'delivered',
   null, true, 'CN-GD'),
  ('M3', '{T1}', 'CP2', 'email', '周刊', timestamptz '2026-03-13 00:00:00+00', 'delivered',
   null, true, 'CN-GD'),
  ('M4', '{T2}', 'CP3', 'app_push', '新品 <CN_MOBILE>', timestamptz '2026-03-14 00:00:00+00',
   'failed', null, false, 'CN-SH'),
  ('M5', '{T1}', 'CP2', 'email', '周刊', timestamptz '2026-03-05 00:00:00+00', 'delivered',
   timestamptz '2026-03-05 02:00:00+00', true, 'CN-GD')
) t(message_id, customer_token, campaign_id, channel, content, sent_at, delivery_status,
    clicked_at, has_unsubscribe_link, storage_region)
"""

ORDERS = f"""
select * from (values
  ('O1', '{T1}', 'P1', 'general', 100.00::decimal(18,2), 90.00::decimal(18,2), 'gold', 'SPRING',
   'online', timestamptz '2026-03-01 03:00:00+00', timestamptz '2026-03-03 03:00:00+00',
   null::timestamptz, 'none', null::varchar),
  ('O2', '{T1}', 'P2', 'perishable', 50.00::decimal(18,2), 50.00::decimal(18,2), 'gold', null,
   'app', timestamptz '2026-03-02 03:00:00+00', null, null, 'none', null),
  ('O3', '{T2}', 'P1', 'general', 100.00::decimal(18,2), 100.00::decimal(18,2), 'silver', null,
   'store', timestamptz '2026-03-04 03:00:00+00', null, null, 'none', null)
) t(order_id, customer_token, product_id, product_category, list_price, charged_price,
    member_tier_at_order, promo_code, sales_channel, ordered_at, delivered_at,
    return_requested_at, return_status, return_reject_reason)
"""

COMPLAINTS = f"""
select * from (values
  ('CM1', '{T1}', 'quality', 'high', '商品有瑕疵', timestamptz '2026-03-10 01:00:00+00',
   timestamptz '2026-03-10 05:00:00+00', timestamptz '2026-03-11 01:00:00+00', '已退款', true),
  ('CM2', '{T2}', 'service', 'low', '客服响应慢', timestamptz '2026-03-14 01:00:00+00', null,
   null, null, null)
) t(complaint_id, customer_token, category, severity, content, received_at, first_response_at,
    resolved_at, resolution, customer_confirmed)
"""

CONTRACT_TEMPLATES = """
select * from (values
  ('TP1', '商品买卖合同', '买方应在收货后七日内验货', 'v1', date '2025-01-01')
) t(template_id, title, clause_text, version, effective_from)
"""

CONTRACTS = f"""
select * from (values
  ('CT1', '{T1}', 'TP1', timestamptz '2026-01-05 02:00:00+00', 'e_signature', true, 'TST-1',
   '{"ab" * 32}', 'accepted', timestamptz '2026-01-06 02:00:00+00',
   timestamptz '2026-01-08 02:00:00+00', 'cn-east-2'),
  ('CT2', '{T2}', 'TP1', timestamptz '2026-03-01 02:00:00+00', 'handwritten', false, null, null,
   'shipped', timestamptz '2026-03-10 02:00:00+00', null, 'cn-north-1')
) t(contract_id, customer_token, template_id, signed_at, sign_method, signer_identity_verified,
    timestamp_token, document_sha256, status, shipped_at, accepted_at, storage_region)
"""

DATA_TRANSFERS = """
select * from (values
  ('TR1', 'order_history', 'SG', 'Example Analytics Pte Ltd', 500::bigint, 0::bigint, 'none',
   'standard_contract', null::varchar, timestamptz '2026-02-01 02:00:00+00')
) t(transfer_id, dataset, destination_country, recipient, individuals_count,
    sensitive_individuals_count, exemption_basis, mechanism, approval_ref, transferred_at)
"""

DSR_REQUESTS = f"""
select * from (values
  ('R1', '{T1}', 'access', timestamptz '2026-03-09 02:00:00+00',
   timestamptz '2026-03-10 02:00:00+00', 'completed', null::varchar)
) t(request_id, customer_token, request_type, received_at, completed_at, status,
    rejection_reason)
"""

REVIEWS = f"""
select * from (values
  ('RV1', '{T1}', 'O1', 5::bigint, '很好', timestamptz '2026-03-05 02:00:00+00', 'published',
   'none', null::varchar, null::timestamptz)
) t(review_id, customer_token, order_id, rating, content, created_at, status, moderation_reason,
    moderated_by, moderated_at)
"""

SECURITY_INCIDENTS = """
select * from (values
  ('IN1', 'general', timestamptz '2026-02-01 02:00:00+00', 0::bigint,
   timestamptz '2026-02-01 05:00:00+00', null::timestamptz, null::timestamptz)
) t(incident_id, level, detected_at, affected_customers, contained_at, customers_notified_at,
    regulator_reported_at)
"""

VISIT_EXPENSES = """
select * from (values
  ('EX1', 'S01', '示例集团', '采购经理', 'meal', 150.00::decimal(18,2), 'INV001',
   timestamptz '2026-03-01 04:00:00+00')
) t(expense_id, sales_rep_id, customer_org, counterpart_role, expense_type, amount, invoice_no,
    visited_at)
"""

# identical in both layers: every column of these sources is C3 (or a scrubbed free text)
OTHER_SOURCES = {
    "complaints": COMPLAINTS,
    "contract_templates": CONTRACT_TEMPLATES,
    "contracts": CONTRACTS,
    "data_transfers": DATA_TRANSFERS,
    "dsr_requests": DSR_REQUESTS,
    "reviews": REVIEWS,
    "security_incidents": SECURITY_INCIDENTS,
    "visit_expenses": VISIT_EXPENSES,
}

TABLES: dict[str, dict[str, str]] = {
    "protected": {
        "customers": CUSTOMERS_PROTECTED,
        "consents": CONSENTS_PROTECTED,
        "campaigns": CAMPAIGNS_PROTECTED,
        "marketing_messages": MESSAGES,
        "orders": ORDERS,
        **OTHER_SOURCES,
    },
    "restricted": {
        "customers": CUSTOMERS_RESTRICTED,
        "consents": CONSENTS_RESTRICTED,
        "campaigns": CAMPAIGNS_RESTRICTED,
        "marketing_messages": MESSAGES,
        "orders": ORDERS,
        **OTHER_SOURCES,
    },
}


def _manifest_entry(column: str, spec: tuple, layer: str) -> dict:
    entity, tier, protection, p_form, p_out, r_form, r_out = spec
    form, outputs = (p_form, p_out) if layer == "protected" else (r_form, r_out)
    return {
        "entity": entity,
        "tier": tier,
        "protection": protection,
        "form": form,
        "outputs": [column] if outputs is None else outputs,
    }


def _manifest(source: str, layer: str, batch_date: str = BATCH_DATE) -> dict:
    columns = {
        column: _manifest_entry(column, spec, layer) for column, spec in COLUMNS[source].items()
    }
    return {"zone": layer, "source": source, "batch_date": batch_date, "columns": columns}


def _catalog_entry(spec: tuple) -> dict:
    return {
        "entity": spec[0],
        "tier": spec[1],
        "protection": spec[2],
        "confidence": 0.95,
        "masked": spec[2] != "pass",
        "reason": "fixture",
    }


def build_lake(home: Path, batch_date: str = BATCH_DATE) -> None:
    """Write the fixture lake under ``home`` (a tmp CRMGUARD_HOME)."""
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    for layer, tables in TABLES.items():
        for source, query in tables.items():
            folder = home / "lake" / layer / source / f"batch_date={batch_date}"
            folder.mkdir(parents=True, exist_ok=True)
            con.execute(
                f"copy (select *, date '{batch_date}' as _batch_date, 'k2026' as _key_version "
                f"from ({query})) to '{folder / 'part-00000.parquet'}' (format parquet)"
            )
            (folder / "_protection.json").write_text(
                json.dumps(_manifest(source, layer, batch_date), ensure_ascii=False),
                encoding="utf-8",
            )
    # the protect job's table of quarantined keys (system ids of rows quarantined in the batch)
    folder = home / "lake" / "restricted" / "quarantined_keys" / f"batch_date={batch_date}"
    folder.mkdir(parents=True, exist_ok=True)
    con.execute(
        "copy (select * from (values ('orders', 'O9')) t(source_name, record_key)) "
        f"to '{folder / 'part-00000.parquet'}' (format parquet)"
    )
    columns = {
        name: {"entity": "NONE", "tier": "C3", "protection": "pass", "form": "clear",
               "outputs": [name]}
        for name in ("source_name", "record_key")
    }  # fmt: skip
    (folder / "_protection.json").write_text(
        json.dumps(
            {
                "zone": "restricted",
                "source": "quarantined_keys",
                "batch_date": batch_date,
                "columns": columns,
            }
        ),
        encoding="utf-8",
    )
    raw = home / "lake" / "raw" / "customers" / f"batch_date={batch_date}"
    raw.mkdir(parents=True, exist_ok=True)
    con.execute(f"copy ({CUSTOMERS_RAW}) to '{raw / 'part-00000.parquet'}' (format parquet)")
    con.close()
    catalog = {
        "profile": "seed",
        "policy_version": "2026.1",
        "tables": {
            source: {column: _catalog_entry(spec) for column, spec in columns.items()}
            for source, columns in COLUMNS.items()
        },
    }
    catalog_dir = home / "lake" / "catalog"
    catalog_dir.mkdir(parents=True, exist_ok=True)
    (catalog_dir / "catalog.json").write_text(
        json.dumps(catalog, ensure_ascii=False, indent=1), encoding="utf-8"
    )


# -- the same batch as another organisation's export classifies it (issue 15) -------------------

# source -> column -> (entity, tier, protection, protected form, protected outputs,
#                      restricted form, restricted outputs); None drops the column from the batch
DRIFTED_COLUMNS: dict[str, dict[str, tuple | None]] = {
    "campaigns": {
        # template codes, not free text: clear, not scrubbed
        "content_template": _pass(),
        # employee numbers, not names: left clear, so protected has approved_by, not
        # approved_by_masked
        "approved_by": _pass(),
    },
    "customers": {
        # a column outside the landing contract: C1, token and mask in both layers
        "bank_card_no": _c1("BANK_CARD", "bank_card_no"),
        # the export no longer has it
        "email": None,
    },
}

# the partitions' new values, per layer and source: (columns to drop, select list to add)
_DRIFTED_VALUES: dict[str, tuple[list[str], str]] = {
    "campaigns": (
        ["approved_by_masked", "approved_by", "content_template"],
        "'TPL-' || campaign_id as content_template, 'E10' || right(campaign_id, 1) as approved_by",
    ),
    "customers": (
        ["email_masked", "email"],
        "case when customer_token = '" + T1 + "' then 'bk1' end as bank_card_no_token, "
        "case when customer_token = '" + T1 + "' then '622202******1234' end as bank_card_no_mask",
    ),
}


def drift_lake(home: Path, batch_date: str = BATCH_DATE) -> None:
    """Rewrite the fixture batch under ``home`` as DRIFTED_COLUMNS classifies it: Parquet,
    ``_protection.json`` and catalog, as the protect stage would have written them."""
    con = duckdb.connect()
    for layer in ("protected", "restricted"):
        for source, (drop, add) in _DRIFTED_VALUES.items():
            folder = home / "lake" / layer / source / f"batch_date={batch_date}"
            part = folder / "part-00000.parquet"
            held = {r[0] for r in con.execute(f"describe select * from '{part}'").fetchall()}
            gone = ", ".join(c for c in drop if c in held)
            con.execute(
                f"create or replace table drifted as select * exclude ({gone}), {add} from '{part}'"
            )
            con.execute(f"copy drifted to '{part}' (format parquet)")
            manifest = json.loads((folder / "_protection.json").read_text(encoding="utf-8"))
            for column, spec in DRIFTED_COLUMNS[source].items():
                manifest["columns"].pop(column, None)
                if spec is not None:
                    manifest["columns"][column] = _manifest_entry(column, spec, layer)
            (folder / "_protection.json").write_text(
                json.dumps(manifest, ensure_ascii=False), encoding="utf-8"
            )
    con.close()
    path = home / "lake" / "catalog" / "catalog.json"
    catalog = json.loads(path.read_text(encoding="utf-8"))
    for source, columns in DRIFTED_COLUMNS.items():
        for column, spec in columns.items():
            catalog["tables"][source].pop(column, None)
            if spec is not None:
                catalog["tables"][source][column] = _catalog_entry(spec)
    path.write_text(json.dumps(catalog, ensure_ascii=False, indent=1), encoding="utf-8")


def strip_lake(home: Path, batch_date: str = BATCH_DATE) -> None:
    """Leave every partition of the batch with no rows and only the pipeline's own columns: a
    build that still binds proves every column the marts read is declared in staging."""
    con = duckdb.connect()
    for layer in ("protected", "restricted"):
        for folder in sorted((home / "lake" / layer).glob(f"*/batch_date={batch_date}")):
            part = folder / "part-00000.parquet"
            held = {r[0] for r in con.execute(f"describe select * from '{part}'").fetchall()}
            keep = ", ".join(c for c in ("_batch_date", "_key_version") if c in held)
            if not keep:  # the quarantined keys are the pipeline's own table: keep it whole
                continue
            con.execute(f"create or replace table stripped as select {keep} from '{part}' limit 0")
            con.execute(f"copy stripped to '{part}' (format parquet)")
    con.close()
