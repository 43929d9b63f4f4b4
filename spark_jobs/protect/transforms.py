"""Pure DataFrame → DataFrame transforms of the protect job, all native Spark expressions.

Nothing here reads files or key files: key material arrives as a one-row DataFrame of HMAC pads
(``keys``) that callers cross-join, so no key byte ever appears in SQL text, plans or conf.
The Python reference of :func:`normalise` and :func:`keyed_token` is ``crmguard.key_store``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from itertools import pairwise
from operator import or_
from string import ascii_lowercase, ascii_uppercase

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from classification.policy import CUSTOMER_ID, DisplayMask, Generalise, Policy
from crmguard.key_store import ASCII_WHITESPACE, FOLD_FROM, FOLD_TO, ZERO_WIDTH
from crmguard.stage_contracts import ProtectionClass, ProtectiveForm

# the fold table of crmguard.key_store (full-width ASCII → ASCII, Unicode spaces → U+0020,
# zero-width characters deleted): one native `translate` equals the Python reference
_FULLWIDTH = FOLD_FROM
_HALFWIDTH = FOLD_TO
_ID_ENTITIES = ("CN_RESIDENT_ID", "CN_PASSPORT", "CN_TRAVEL_PERMIT", "BANK_CARD", CUSTOMER_ID)
LINEAGE = ("_source_file", "_source_line", "_batch_date")
KEY_VERSION = "_key_version"
CUSTOMER_TOKEN = "customer_token"
REDACTED = "***"


# -- normalisation and keyed tokens ----------------------------------------------------------


# Java regex \s (what the Spark and Python references strip and delete)
_WHITESPACE = ASCII_WHITESPACE


_ASCII_CASE: dict[str, dict[int, int]] = {
    "upper": str.maketrans(ascii_lowercase, ascii_uppercase),
    "lower": str.maketrans(ascii_uppercase, ascii_lowercase),
}


def _fold(value: Column, delete: str = "", case: str | None = None) -> Column:
    """Full-width → half-width, ASCII case (``upper``/``lower``) and deletion of ``delete``
    (after folding) in one ``translate``: one pass over the string instead of a translate, a
    case function and a regex per character class. Case is ASCII only, as in the Python
    reference (Java's and Python's Unicode case tables differ by version)."""
    table = _ASCII_CASE[case] if case else {}

    def cased(h: str) -> str:
        return h.translate(table)

    pairs = list(zip(_FULLWIDTH, _HALFWIDTH, strict=True))
    kept = [(f, cased(h)) for f, h in pairs if h not in delete]
    kept += [(chr(a), chr(b)) for a, b in table.items()]
    dropped = [f for f, h in pairs if h in delete]
    # translate deletes the characters of ``matching`` that have no counterpart in ``replace``
    matching = "".join(f for f, _ in kept) + "".join(dropped) + delete + ZERO_WIDTH
    return F.translate(value.cast("string"), matching, "".join(h for _, h in kept))


# Values already in canonical form, for which `normalise` is the identity: printable ASCII
# without the characters the entity's rule deletes, folds or trims (no full-width, Unicode
# space or zero-width character is ASCII). Most values are canonical, and one regex test is
# cheaper than `translate`'s per-character map look-ups; the rest take the full path. `\z`,
# not `$`: Java's `$` also matches before a final line break, which normalise deletes.
_PRINTABLE = r"\x21-\x7e"  # ASCII without space and control characters
_CANONICAL = {
    "id": r"^[\x21-\x2c\x2e-\x60\x7b-\x7e]*\z",  # no whitespace, '-' or lower case
    "CN_MOBILE": r"^1[0-9]{10}\z",  # 11 digits, nothing to strip (no +86 prefix)
    "GEO_LOCATION": rf"^[{_PRINTABLE}]*\z",  # no whitespace
    # trimmed, no upper case
    "EMAIL": r"^(?:[\x21-\x40\x5b-\x7e](?:[\x20-\x40\x5b-\x7e]*[\x21-\x40\x5b-\x7e])?)?\z",
    "default": rf"^(?:[{_PRINTABLE}](?:[\x20-\x7e]*[{_PRINTABLE}])?)?\z",  # trimmed
}


def normalise(value: Column, entity: str | None = None) -> Column:
    """Canonical form of a value before tokenising (same as ``crmguard.key_store.normalise``)."""
    text = value.cast("string")
    if entity in _ID_ENTITIES:
        # every whitespace is deleted, so no separate trim
        full = _fold(text, _WHITESPACE + "-", case="upper")
        canonical = _CANONICAL["id"]
    elif entity == "CN_MOBILE":
        digits = _fold(text, _WHITESPACE + "-()")
        full = F.regexp_replace(digits, r"^(?:\+86|0086|86)(?=1\d{10}$)", "")
        canonical = _CANONICAL["CN_MOBILE"]
    elif entity == "GEO_LOCATION":
        full = _fold(text, _WHITESPACE)
        canonical = _CANONICAL["GEO_LOCATION"]
    elif entity == "EMAIL":
        full = F.btrim(_fold(text, case="lower"), F.lit(_WHITESPACE))
        canonical = _CANONICAL["EMAIL"]
    else:
        full = F.btrim(_fold(text), F.lit(_WHITESPACE))
        canonical = _CANONICAL["default"]
    return F.when(text.rlike(canonical), text).otherwise(full)


def hmac_sha256(message: Column, ipad: Column, opad: Column) -> Column:
    """HMAC-SHA256 (RFC 2104) composed from native ``sha2``: H(K^opad ‖ H(K^ipad ‖ m)), hex."""
    inner = F.unhex(F.sha2(F.concat(ipad, message.cast("binary")), 256))
    return F.sha2(F.concat(opad, inner), 256)


def keyed_token(value: Column, entity: str | None = None, normalised: bool = False) -> Column:
    """Token of a value; needs the ``token_ipad``/``token_opad`` columns of the keys row."""
    return F.when(
        value.isNotNull(),
        hmac_sha256(
            value if normalised else normalise(value, entity),
            F.col("token_ipad"),
            F.col("token_opad"),
        ),
    )


def salt_id(customer_id: Column, normalised: bool = False) -> Column:
    """Index of a customer's salt; its key never rotates (``salt_ipad``/``salt_opad``)."""
    v = customer_id if normalised else normalise(customer_id, CUSTOMER_ID)
    return hmac_sha256(v, F.col("salt_ipad"), F.col("salt_opad"))


# -- display masks (vault_token_mask) --------------------------------------------------------


def display_mask(value: Column, entity: str, mask: DisplayMask, normalised: bool = False) -> Column:
    """What restricted readers and analysts see of a vaulted value, e.g. ``138****5678``."""
    v = value if normalised else normalise(value, entity)
    if mask.redact:
        return F.when(v.isNotNull(), F.lit(REDACTED))
    if mask.geo_round_decimals is not None:
        # "lat,lon" rounded: one decimal ≈ 11 km of latitude
        parts = F.split(v, ",")
        lat = F.round(parts.getItem(0).try_cast("double"), mask.geo_round_decimals)
        lon = F.round(parts.getItem(1).try_cast("double"), mask.geo_round_decimals)
        return F.when(lat.isNotNull() & lon.isNotNull(), F.concat_ws(",", lat, lon))
    n = F.length(v)
    first, last = mask.keep_first, mask.keep_last
    # too short to keep both ends without revealing (almost) everything: mask it all
    hidden = F.repeat(F.lit(mask.mask_char), n)
    kept = F.concat(
        v.substr(F.lit(1), F.lit(first)),
        F.repeat(F.lit(mask.mask_char), n - first - last),
        F.when(F.lit(last) > 0, v.substr(n - last + 1, F.lit(last))).otherwise(F.lit("")),
    )
    return F.when(v.isNull(), None).when(n <= first + last, hidden).otherwise(kept)


# -- generalisation (restricted_generalise) --------------------------------------------------

_PROVINCE = r"^(?:.{2,8}?(?:省|自治区|特别行政区))?(?:.{1,10}?(?:市|自治州|地区|盟))?"


def _edge(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def band_label(value: Column, edges: list[float]) -> Column:
    """Band of a number by the policy's edges: "<350", "[550,650)", ">=950"."""
    expr = F.when(value.isNull(), None).when(value < edges[0], F.lit(f"<{_edge(edges[0])}"))
    for low, high in pairwise(edges):
        expr = expr.when(value < high, F.lit(f"[{_edge(low)},{_edge(high)})"))
    return expr.otherwise(F.lit(f">={_edge(edges[-1])}"))


def generalise(value: Column, rule: Generalise) -> Column:
    """The analysts' (protected) form of a restricted value."""
    if rule.kind == "surname":
        name = F.trim(value.cast("string"))
        return F.when(F.length(name) > 0, F.concat(F.substring(name, 1, 1), F.lit("*")))
    if rule.kind == "email":
        email = F.lower(F.trim(value.cast("string")))
        local = F.substring_index(email, "@", 1)
        domain = F.substring_index(email, "@", -1)
        return (
            F.when(email.isNull(), None)
            .when(email.contains("@"), F.concat(F.substring(local, 1, 1), F.lit("***@"), domain))
            .otherwise(F.lit(REDACTED))
        )
    if rule.kind == "province_city":
        address = F.trim(value.cast("string"))
        # the whole match is province + city (one regex pass instead of one per group)
        region = F.regexp_extract(address, _PROVINCE, 0)
        return F.when(F.length(region) > 0, region)
    if rule.kind == "year":
        return F.year(value.cast("date"))
    if rule.kind == "ipv4_prefix":
        octets = (rule.prefix or 0) // 8
        if (rule.prefix or 0) % 8 or not 1 <= octets <= 3:
            raise ValueError(f"ipv4_prefix {rule.prefix}: only /8, /16 and /24 are supported")
        kept = r"\.".join([r"\d{1,3}"] * octets)
        head = F.regexp_extract(F.trim(value.cast("string")), rf"^({kept})(?:\.\d{{1,3}})+$", 1)
        zeros = ".0" * (4 - octets)
        return F.when(F.length(head) > 0, F.concat(head, F.lit(f"{zeros}/{rule.prefix}")))
    if rule.kind == "band":
        return band_label(value, list(rule.edges or []))
    return F.when(value.isNotNull(), F.lit(REDACTED))  # redact


def generalised_name(column: str, rule: Generalise) -> str:
    """Output column of a generalised value: suffix by kind (docs/protection.md)."""
    if rule.kind == "band":
        return f"{column}_band"
    if rule.kind == "year":
        return f"{column.removesuffix('_date')}_year"
    if rule.kind == "ipv4_prefix":
        return f"{column.removesuffix('_address')}_prefix"
    if rule.kind == "province_city":
        return f"{column}_region"
    return f"{column}_masked"


def birth_date_from_id(resident_id: Column, normalised: bool = False) -> Column:
    """Date of birth encoded in an 18- or 15-digit resident ID (null when it is not one)."""
    v = resident_id if normalised else normalise(resident_id, "CN_RESIDENT_ID")
    digits = F.when(v.rlike(r"^\d{17}[\dX]$"), F.substring(v, 7, 8)).when(
        v.rlike(r"^\d{15}$"), F.concat(F.lit("19"), F.substring(v, 7, 6))
    )
    return F.try_to_timestamp(digits, F.lit("yyyyMMdd")).cast("date")


# -- per-table plan ------------------------------------------------------------------------


@dataclass
class ColumnOutcome:
    """What one source column became in one zone (the ``_protection.json`` row)."""

    outputs: list[str]
    form: ProtectiveForm
    entity: str
    tier: str
    protection: ProtectionClass


@dataclass
class TablePlan:
    """The protected and restricted projections of one table, plus what goes to the vault."""

    protected: list[Column] = field(default_factory=list)
    restricted: list[Column] = field(default_factory=list)
    protected_outcomes: dict[str, ColumnOutcome] = field(default_factory=dict)
    restricted_outcomes: dict[str, ColumnOutcome] = field(default_factory=dict)
    vault_columns: dict[str, str] = field(default_factory=dict)  # column -> entity
    free_text: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    customer_column: str | None = None
    birth_date_from_id: bool = False
    restricted_only: list[Column] = field(default_factory=list)
    # the protected projection over the written restricted partition: tokens and masks are
    # read back (not recomputed), generalisations are computed from restricted's clear C2
    from_restricted: list[Column] = field(default_factory=list)
    normalised: dict[str, str] = field(default_factory=dict)  # column -> entity
    lineage: list[str] = field(default_factory=list)

    def names(self, zone: str) -> list[str]:
        """Output column names of ``zone`` in order (from the recorded outcomes)."""
        outcomes = getattr(self, f"{zone}_outcomes").values()
        tail = [c for c in self.lineage if zone == "restricted" or c == "_batch_date"]
        return [o for outcome in outcomes for o in outcome.outputs] + tail + [KEY_VERSION]


def normalised_col(column: str) -> Column:
    """The once-normalised copy of a tokenised column (added by :func:`protect_wide`)."""
    return F.col(f"`__n_{column}`")


def token_column_name(column: str) -> str:
    return CUSTOMER_TOKEN if column == "customer_id" else f"{column.removesuffix('_id')}_token"


def plan_table(columns: list[str], catalog_columns: dict[str, dict], policy: Policy) -> TablePlan:
    """Decide every column's outputs from the catalog and the policy (fail closed)."""
    plan = TablePlan()
    lineage = [c for c in LINEAGE if c in columns]
    for column in columns:
        if column in LINEAGE:
            continue
        entry = catalog_columns.get(column)
        entity = (entry or {}).get("entity", "UNCLASSIFIED")
        confidence = float((entry or {}).get("confidence", 0.0))
        known = entry is not None and entity in policy.entities
        protection = policy.protection_of(entity) if known else ProtectionClass.DROP
        # either side saying drop wins: new, unclassified or low-confidence columns never leak
        if (
            not known
            or (entry or {}).get("protection") == ProtectionClass.DROP
            or (confidence < policy.confidence_floor and protection != ProtectionClass.TOKEN_KEY)
        ):
            protection = ProtectionClass.DROP
        tier = policy.tier_of(entity) if known else "—"
        col = F.col(f"`{column}`")

        def record(
            zone: str,
            outputs: list[str],
            form: ProtectiveForm,
            *,
            column: str = column,
            entity: str = entity,
            tier: str = tier,
            protection: ProtectionClass = protection,
        ) -> None:
            outcome = ColumnOutcome(outputs, form, entity, tier, protection)
            getattr(plan, f"{zone}_outcomes")[column] = outcome

        if protection == ProtectionClass.DROP:
            plan.dropped.append(column)
            record("protected", [], ProtectiveForm.DROPPED)
            record("restricted", [], ProtectiveForm.DROPPED)
        elif protection == ProtectionClass.TOKEN_KEY:
            name = token_column_name(column)
            if column == "customer_id" or plan.customer_column is None:
                plan.customer_column = column
            plan.normalised[column] = CUSTOMER_ID
            token = keyed_token(normalised_col(column), normalised=True).alias(name)
            plan.protected.append(token)
            plan.restricted.append(token)
            plan.from_restricted.append(F.col(f"`{name}`"))
            record("protected", [name], ProtectiveForm.TOKEN)
            record("restricted", [name], ProtectiveForm.TOKEN)
        elif protection == ProtectionClass.VAULT_TOKEN_MASK:
            mask = policy.entity(entity).display_mask
            assert mask is not None  # the policy model guarantees it for this class
            names = [f"{column}_token", f"{column}_mask"]
            outputs = [
                keyed_token(normalised_col(column), normalised=True).alias(names[0]),
                display_mask(normalised_col(column), entity, mask, normalised=True).alias(names[1]),
            ]
            plan.protected += outputs
            plan.restricted += outputs
            plan.from_restricted += [F.col(f"`{n}`") for n in names]
            plan.vault_columns[column] = entity
            plan.normalised[column] = entity
            record("protected", names, ProtectiveForm.TOKEN)
            record("restricted", names, ProtectiveForm.TOKEN)
            # age checks near 14 need the full date: restricted keeps it, derived from the ID
            if entity == "CN_RESIDENT_ID" and not plan.birth_date_from_id:
                plan.birth_date_from_id = True
                plan.restricted.append(
                    birth_date_from_id(normalised_col(column), normalised=True).alias(
                        "birth_date_from_id"
                    )
                )
                plan.restricted_only.append(plan.restricted[-1])
                record("restricted", [*names, "birth_date_from_id"], ProtectiveForm.TOKEN)
        elif protection == ProtectionClass.RESTRICTED_GENERALISE:
            rule = policy.entity(entity).generalise
            assert rule is not None
            name = generalised_name(column, rule)
            plan.protected.append(generalise(col, rule).alias(name))
            plan.from_restricted.append(plan.protected[-1])
            plan.restricted.append(col)
            plan.restricted_only.append(col)
            form = ProtectiveForm.BAND if rule.kind == "band" else ProtectiveForm.GENERALISED
            record("protected", [name], form)
            record("restricted", [column], ProtectiveForm.CLEAR)
        else:  # pass
            plan.protected.append(col)
            plan.from_restricted.append(col)
            plan.restricted.append(col)
            scrubbed = policy.entity(entity).scrub_free_text
            form = ProtectiveForm.SCRUBBED if scrubbed else ProtectiveForm.CLEAR
            if scrubbed:
                plan.free_text.append(column)
            record("protected", [column], form)
            record("restricted", [column], form)
    key_version = F.col(KEY_VERSION)
    tail = [F.col("_batch_date"), key_version] if "_batch_date" in lineage else [key_version]
    plan.protected += tail
    plan.from_restricted += tail
    plan.restricted += [F.col(c) for c in lineage] + [key_version]
    plan.restricted_only += [F.col(c) for c in lineage if c != "_batch_date"]
    plan.lineage = lineage
    return plan


def apply_plan(raw: DataFrame, keys: DataFrame, plan: TablePlan) -> tuple[DataFrame, DataFrame]:
    """(protected, restricted) DataFrames of one raw table; ``keys`` is the one-row pads frame."""
    wide = protect_wide(raw, keys, plan)
    return wide.select(*plan.names("protected")), wide.select(*plan.names("restricted"))


VAULT_SALT_ID = "__salt_id"
VAULT_PLAINTEXT = "__vault_plaintext"


def protect_wide(raw: DataFrame, keys: DataFrame, plan: TablePlan) -> DataFrame:
    """Every output of both zones computed once per row (select a zone's names from it)."""
    # normalise each tokenised column once (a separate projection: Spark does not collapse
    # projections that would duplicate these regexes), then derive tokens, masks and dates
    prepared = raw.select(
        "*",
        *[
            normalise(F.col(f"`{c}`"), entity).alias(f"__n_{c}")
            for c, entity in plan.normalised.items()
        ],
    )
    joined = prepared.crossJoin(F.broadcast(keys))
    return joined.select(*plan.protected, *plan.restricted_only)


def vault_plaintext(plan: TablePlan) -> Column:
    """The row's C1 clear values as one JSON object (``{"id_number": "…", "mobile": "…"}``,
    nulls omitted), built natively; null when the row has none. One ciphertext per row instead
    of one per value: the cipher call, not the bytes, is what costs."""
    values = [F.col(f"`{c}`").cast("string").alias(c) for c in plan.vault_columns]
    return F.when(has_vault_value(plan), F.to_json(F.struct(*values)))


def has_vault_value(plan: TablePlan) -> Column:
    """True for a row with at least one non-null C1 value (a row the vault keeps)."""
    return reduce(or_, [F.col(f"`{c}`").isNotNull() for c in plan.vault_columns])


def vault_input(raw: DataFrame, keys: DataFrame, plan: TablePlan) -> DataFrame:
    """Per raw row: customer token, salt index, key version and the JSON plaintext of its C1
    values; only the customer key is normalised and hashed (4 SHA-256 per row), so
    recomputing it is cheaper than keeping a wide copy of every row."""
    assert plan.customer_column is not None
    customer = f"__n_{plan.customer_column}"
    # filter on the null checks, not on the JSON: the salts job prunes the JSON away
    prepared = raw.where(has_vault_value(plan)).select(
        normalise(F.col(f"`{plan.customer_column}`"), CUSTOMER_ID).alias(customer),
        vault_plaintext(plan).alias(VAULT_PLAINTEXT),
    )
    return prepared.crossJoin(F.broadcast(keys)).select(
        keyed_token(F.col(customer), normalised=True).alias(
            token_column_name(plan.customer_column)
        ),
        salt_id(F.col(customer), normalised=True).alias(VAULT_SALT_ID),
        F.col(KEY_VERSION),
        F.col(VAULT_PLAINTEXT),
    )


def vault_from_wide(
    salted: DataFrame,
    keys: DataFrame,
    plan: TablePlan,
    source: str,
    cipher: str = "aes-256-gcm",
) -> DataFrame:
    """Encrypted vault rows from the vault input with each row's ``salt`` attached: one data
    key per customer row and ONE ciphertext per row (its C1 values as a JSON object).

    Rows: ``customer_token, source, key_version, cipher, columns, ciphertext``; ``columns``
    lists the table's vaulted columns (a null value is absent from the plaintext).
    AES-256-GCM is native ``aes_encrypt``; SM4-GCM (not in Spark) is a batched Arrow UDF
    (``spark_jobs.protect.sm4``) under the first 16 bytes of the same data key.
    """
    token = token_column_name(plan.customer_column or "customer_id")
    data_key = F.unhex(hmac_sha256(F.col("salt"), F.col("vault_ipad"), F.col("vault_opad")))
    per_row = (
        salted.where(F.col(token).isNotNull())
        .select(
            F.col(token).alias(CUSTOMER_TOKEN),
            F.col(KEY_VERSION).alias("key_version"),
            "salt",
            VAULT_PLAINTEXT,
        )
        .crossJoin(F.broadcast(keys.select("vault_ipad", "vault_opad")))
        .select(CUSTOMER_TOKEN, "key_version", data_key.alias("data_key"), VAULT_PLAINTEXT)
    )
    plaintext = F.col(VAULT_PLAINTEXT)
    if cipher == "sm4-gcm":
        from spark_jobs.protect.sm4 import sm4_gcm_encrypt

        ciphertext = sm4_gcm_encrypt(plaintext.cast("binary"), F.substring("data_key", 1, 16))
    elif cipher == "aes-256-gcm":
        ciphertext = F.aes_encrypt(plaintext, F.col("data_key"), F.lit("GCM"))
    else:
        raise ValueError(f"unknown vault cipher {cipher!r}")
    return per_row.select(
        CUSTOMER_TOKEN,
        F.lit(source).alias("source"),
        "key_version",
        F.lit(cipher).alias("cipher"),
        F.array(*[F.lit(c) for c in plan.vault_columns]).alias("columns"),
        ciphertext.alias("ciphertext"),
    )
