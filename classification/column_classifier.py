"""Column classifier: a seeded sample of values through the Presidio recognizers, plus header
evidence.

Per column: non-null sample -> cheap prefilter (the union of the recognizers' own regexes; a value
none of them can match never reaches Presidio) -> Presidio in batches over distinct values ->
per-entity match ratio and mean score -> combined with the header lexicon -> one decision with a
confidence, a readable reason and the evidence that decided it. Chance matches (10% of random
16-digit numbers pass Luhn) stay under ``chance_ratio`` and never label a column.

Structured columns (timestamps, dates, decimals, codes, enumerations: ``value_shapes`` in config)
are never prose, and a value-level hit counts only for an entity the column's shape admits.
Financial C2 entities need a header naming them and values of their shape (``financial_shapes``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import regex
from presidio_analyzer import BatchAnalyzerEngine

from classification.engine import LANGUAGE, get_analyzer
from classification.recognizers.base import MASKED_KEY, VALIDATED_KEY
from classification.settings import (
    ClassificationSettings,
    FinancialShape,
    classification_settings,
    fold_header,
)

# column kinds by Arrow/DuckDB type: only text-like values carry recognisable PII strings
TEXT_KINDS = ("string", "integer")
_PROSE = re.compile(r"[\u4e00-\u9fff]|\s")
# what exports decorate amounts with: currency signs, thousands separators, 元/CNY/RMB
_MONEY_DECORATION = re.compile(r"[¥￥$,，\s]|元|CNY|RMB", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?(\d+)(?:\.(\d+))?")


@dataclass
class ColumnDecision:
    entity: str
    confidence: float
    masked: bool
    sample_size: int
    match_ratio: float
    reason: str
    source: str
    header_entity: str | None = None
    value_ratios: dict[str, float] = field(default_factory=dict)
    # what decided it, most telling first: header match, value share, checksum, shape
    evidence: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = asdict(self)
        out.pop("value_ratios")
        out.pop("header_entity")
        return out


@dataclass
class HeaderEvidence:
    entity: str
    strength: float
    term: str


def header_evidence(column: str, settings: ClassificationSettings) -> HeaderEvidence | None:
    """The lexicon entity a header names: exact match first, then token/substring matches."""
    folded = fold_header(column)
    compact = folded.replace("_", "")
    t = settings.thresholds
    for entity, terms in settings.header_lexicon.items():
        for term in terms:
            ft = fold_header(term)
            if folded == ft or compact == ft.replace("_", ""):
                return HeaderEvidence(entity, t.header_exact_strength, term)
    best: HeaderEvidence | None = None
    tokens = set(folded.split("_"))
    for entity, terms in settings.header_lexicon.items():
        for term in terms:
            ft = fold_header(term)
            han = re.search(r"[\u4e00-\u9fff]", ft) is not None
            hit = ft in tokens or (han and len(ft) >= 2 and ft in folded)
            hit = hit or (not han and len(ft) >= 5 and ft in folded)
            if hit and (best is None or len(ft) > len(fold_header(best.term))):
                best = HeaderEvidence(entity, t.header_partial_strength, term)
    return best


@lru_cache(maxsize=1)
def _prefilter() -> regex.Pattern:
    """Union of every registered recognizer's regexes (deny lists included)."""
    parts = []
    for rec in get_analyzer().registry.recognizers:
        for pattern in getattr(rec, "patterns", []) or []:
            parts.append(f"(?:{pattern.regex})")
    return regex.compile("|".join(parts), regex.IGNORECASE | regex.DOTALL)


@dataclass
class ValueEvidence:
    n: int
    whole: dict[str, int]  # entity -> values whose match covers (almost) the whole value
    masked: dict[str, int]
    validated: dict[str, int]  # entity -> values whose whole-value match passed the checksum
    score_sum: dict[str, float]
    embedded_values: int  # values with any match at all (for prose)
    avg_length: float
    prose_share: float  # values with Han characters or spaces: sentences, not codes


def _foldable(value: str) -> str:
    """NFKC where it keeps the length (full-width digits and letters), else the value."""
    if value.isascii():  # ASCII is its own NFKC form
        return value
    folded = unicodedata.normalize("NFKC", value)
    return folded if len(folded) == len(value) else value


def analyse_values(values: list[str], settings: ClassificationSettings) -> ValueEvidence:
    """Run the recognizers over a sample (distinct values once, in batches)."""
    t = settings.thresholds
    counts = Counter(v for v in values)
    prefilter = _prefilter()
    candidates = [v for v in counts if prefilter.search(_foldable(v))]
    whole: dict[str, int] = defaultdict(int)
    masked: dict[str, int] = defaultdict(int)
    validated: dict[str, int] = defaultdict(int)
    score_sum: dict[str, float] = defaultdict(float)
    embedded = 0
    if candidates:
        batch = BatchAnalyzerEngine(get_analyzer())
        results = batch.analyze_iterator(
            candidates, language=LANGUAGE, batch_size=settings.analyze_batch_size
        )
        for value, found in zip(candidates, results, strict=True):
            weight = counts[value]
            if found:
                embedded += weight
            length = max(len(value.strip()), 1)
            best: dict[str, tuple[float, bool, bool]] = {}
            for r in found:
                if (r.end - r.start) / length < t.embedded_min_coverage:
                    continue
                meta = r.recognition_metadata or {}
                is_masked = bool(meta.get(MASKED_KEY))
                if r.entity_type not in best or r.score > best[r.entity_type][0]:
                    best[r.entity_type] = (r.score, is_masked, bool(meta.get(VALIDATED_KEY)))
            for entity, (score, is_masked, is_valid) in best.items():
                whole[entity] += weight
                score_sum[entity] += score * weight
                if is_masked:
                    masked[entity] += weight
                if is_valid:
                    validated[entity] += weight
    n = len(values)
    avg = sum(len(v) for v in values) / n if n else 0.0
    prose = sum(1 for v in values if _PROSE.search(v)) / n if n else 0.0
    return ValueEvidence(
        n, dict(whole), dict(masked), dict(validated), dict(score_sum), embedded, avg, prose
    )


@dataclass
class ColumnShape:
    """The structured shape most sampled values share (timestamp, date, decimal, code, ...)."""

    name: str
    share: float
    admits: list[str] | None  # entities whose value hits count (None: any)


@lru_cache(maxsize=4)
def _compiled(patterns: tuple[tuple[str, str], ...]) -> list[tuple[str, re.Pattern]]:
    return [(name, re.compile(pattern)) for name, pattern in patterns]


def _shape_patterns(settings: ClassificationSettings) -> list[tuple[str, re.Pattern]]:
    return _compiled(tuple((n, s.pattern) for n, s in settings.value_shapes.shapes.items()))


def column_shape(values: list[str], settings: ClassificationSettings) -> ColumnShape | None:
    """The first configured shape (most specific first) that ``min_share`` of values have."""
    n = len(values)
    if n == 0:
        return None
    vs = settings.value_shapes
    counts = Counter(_foldable(v.strip()) for v in values)
    for name, pattern in _shape_patterns(settings):
        hits = sum(c for v, c in counts.items() if pattern.fullmatch(v))
        if hits / n >= vs.min_share:
            return ColumnShape(name, hits / n, vs.shapes[name].admits)
    short = all(len(v) <= vs.enumeration_max_length for v in counts)
    if len(counts) <= vs.enumeration_max_distinct and short and n > len(counts):
        return ColumnShape("enumeration", 1.0, None)
    return None


def financial_fit(values: list[str], shape: FinancialShape) -> float:
    """Share of values that are numbers of the shape (few decimals, inside the bounds)."""
    if not values:
        return 0.0
    fit = 0
    for value, count in Counter(values).items():
        m = _NUMBER.fullmatch(_MONEY_DECORATION.sub("", _foldable(value)))
        if not m or len(m.group(2) or "") > shape.max_decimals:
            continue
        x = float(m.group(0))
        if (shape.min is None or x >= shape.min) and (shape.max is None or x <= shape.max):
            fit += count
    return fit / len(values)


def describe_financial_shape(shape: FinancialShape) -> str:
    places = shape.max_decimals
    kind = "integers" if places == 0 else f"numbers with <= {places} decimals"
    if shape.min is not None and shape.max is not None:
        return f"{kind} in [{shape.min:g}, {shape.max:g}]"
    if shape.min is not None:
        return f"{kind} >= {shape.min:g}"
    return kind


@lru_cache(maxsize=1)
def _checks() -> dict[str, str]:
    """Entity -> what its recognizer's checksum verifies (entities with one)."""
    out: dict[str, str] = {}
    for rec in get_analyzer().registry.recognizers:
        check = getattr(rec, "CHECK", None)
        if check:
            out[rec.supported_entities[0]] = check
    return out


def _bare_number_note(values: list[str], settings: ClassificationSettings) -> str:
    """Why a column of amounts or scores without a financial header stays C3."""
    fits = [
        (share, entity)
        for entity, shape in settings.financial_shapes.entities.items()
        if (share := financial_fit(values, shape)) >= settings.financial_shapes.min_share
    ]
    if not fits:
        return ""
    entities = "/".join(e for _, e in fits)
    return (
        f"; the values have the shape of {entities}, but without a financial header a bare "
        "number is not personal data (C3)"
    )


def _group_of(entity: str, settings: ClassificationSettings) -> list[str]:
    for members in settings.entity_groups.values():
        if entity in members:
            return members
    return [entity]


@dataclass
class _Found:
    """What ``_decide`` saw, kept for the decision's evidence."""

    header: HeaderEvidence | None
    ev: ValueEvidence | None = None
    shape: ColumnShape | None = None
    discarded: dict[str, float] = field(default_factory=dict)  # hits the shape does not admit
    financial: tuple[str, float] | None = None  # (shape description, share of values fitting)


def decide(
    column: str,
    values: list[str] | None,
    kind: str,
    settings: ClassificationSettings | None = None,
    numeric_in_china_bounds: bool | None = None,
) -> ColumnDecision:
    """Classify one column from its header and (for text-like kinds) its sampled values."""
    settings = settings or classification_settings()
    header = header_evidence(column, settings)
    sample = [v for v in (values or []) if v is not None and str(v).strip() != ""]
    found = _Found(header=header)
    decision = _decide(column, values, sample, kind, settings, numeric_in_china_bounds, found)
    decision.evidence = _evidence(decision, column, len(sample), found)
    return decision


def _evidence(decision: ColumnDecision, column: str, n: int, found: _Found) -> list[dict]:
    """The decision's evidence, most telling first (the report shows the top items)."""
    items: list[dict] = []
    entity = decision.entity
    if decision.source == "key":
        return [{"kind": "key", "detail": decision.reason}]
    header, ev = found.header, found.ev
    header_item = None
    if header:
        header_item = {
            "kind": "header",
            "detail": f"header '{column}' matches lexicon term '{header.term}' ({header.entity})",
            "strength": header.strength,
            "agrees": header.entity == entity
            or (header.entity == "GEO_LOCATION_AXIS" and entity == "GEO_LOCATION"),
        }
    value_items: list[dict] = []
    if ev and n:
        count = ev.whole.get(entity, 0)
        if count:
            value_items.append(
                {
                    "kind": "values",
                    "detail": f"{count} of {n} sampled values are {entity}"
                    + (f" ({ev.masked.get(entity, 0)} masked)" if ev.masked.get(entity) else ""),
                    "share": round(count / n, 3),
                }
            )
        valid = ev.validated.get(entity, 0)
        if valid and entity in _checks():
            value_items.append(
                {
                    "kind": "checksum",
                    "detail": f"{valid} of {n} values pass {_checks()[entity]}",
                    "share": round(valid / n, 3),
                }
            )
        others = sorted(((e, c) for e, c in ev.whole.items() if e != entity), key=lambda x: -x[1])
        if others and entity in ("NONE", "UNCLASSIFIED"):
            e, c = others[0]
            value_items.append(
                {
                    "kind": "values",
                    "detail": f"{c} of {n} sampled values look like {e}",
                    "share": round(c / n, 3),
                }
            )
    financial_items: list[dict] = []
    shape_items: list[dict] = []
    if found.financial:
        desc, share = found.financial
        financial_items.append(
            {"kind": "shape", "detail": f"{share:.0%} of {n} values are {desc}", "share": share}
        )
    if found.shape:
        sh = found.shape
        detail = f"{sh.share:.0%} of {n} values are {sh.name} values"
        if sh.admits is not None:
            detail += ": never free text"
        if found.discarded:
            detail += "; hits not counted: " + ", ".join(
                f"{e} {r:.0%}" for e, r in sorted(found.discarded.items())
            )
        shape_items.append({"kind": "shape", "detail": detail, "share": round(sh.share, 3)})
    header_items = [header_item] if header_item else []
    if decision.source == "values":
        items = value_items + header_items + financial_items + shape_items
    else:
        items = header_items + financial_items + value_items + shape_items
    if not items:
        items = [{"kind": "values", "detail": decision.reason}]
    return items


def _decide(
    column: str,
    values: list[str] | None,
    sample: list[str],
    kind: str,
    settings: ClassificationSettings,
    numeric_in_china_bounds: bool | None,
    found: _Found,
) -> ColumnDecision:
    t = settings.thresholds
    header = found.header
    if column in settings.key_columns:
        entity = settings.key_columns[column]
        return ColumnDecision(
            entity,
            1.0,
            False,
            len(values or []),
            1.0,
            f"key column {column} (pseudonymous key)",
            "key",
        )
    n = len(sample)
    h_ent = header.entity if header else None
    if h_ent == "GEO_LOCATION_AXIS":
        h_ent = "GEO_LOCATION"
    financial = settings.financial_shapes
    if header and h_ent in financial.entities and n > 0:
        # financial C2: the header names it and the values must have its shape
        fshape = financial.entities[h_ent]
        share = financial_fit(sample, fshape)
        desc = describe_financial_shape(fshape)
        found.financial = (desc, round(share, 3))
        if share >= financial.min_share:
            conf = 1 - (1 - header.strength) * (1 - 0.5 * share)
            return ColumnDecision(
                h_ent,
                round(conf, 3),
                False,
                n,
                round(share, 3),
                f"header '{column}' ({header.term}) names {h_ent} and {share:.0%} of {n} values "
                f"are {desc}",
                "values+header",
                h_ent,
            )
        return ColumnDecision(
            "UNCLASSIFIED",
            0.0,
            False,
            n,
            round(share, 3),
            f"header '{column}' ({header.term}) names {h_ent} but only {share:.0%} of {n} values "
            f"are {desc}",
            "values+header",
            h_ent,
        )
    if kind not in TEXT_KINDS or n == 0:
        if header and h_ent and h_ent != "NONE":
            if header.entity == "GEO_LOCATION_AXIS" and numeric_in_china_bounds is False:
                return ColumnDecision(
                    "NONE",
                    0.8,
                    False,
                    n,
                    0.0,
                    f"header '{column}' reads like a coordinate but values are outside "
                    "China's bounds",
                    "values+header",
                    h_ent,
                )
            why = "no non-null values" if n == 0 else f"{kind} values"
            return ColumnDecision(
                h_ent,
                header.strength,
                False,
                n,
                0.0,
                f"header '{column}' matches lexicon term '{header.term}' ({why})",
                "header",
                h_ent,
            )
        if n == 0:
            return ColumnDecision(
                "NONE",
                0.9,
                False,
                0,
                0.0,
                "no non-null values and no personal header",
                "values",
                h_ent,
            )
        return ColumnDecision(
            "NONE",
            0.95,
            False,
            n,
            0.0,
            f"{kind} values, header '{column}' names no personal entity"
            + _bare_number_note(sample, settings),
            "header",
            h_ent,
        )

    ev = analyse_values(sample, settings)
    found.ev = ev
    shape = column_shape(sample, settings)
    found.shape = shape
    ratios = {e: c / n for e, c in ev.whole.items()}
    if shape and shape.admits is not None:
        # a hit the column's shape does not admit is chance (digit runs inside a timestamp)
        found.discarded = {e: r for e, r in ratios.items() if e not in shape.admits}
        ratios = {e: r for e, r in ratios.items() if e in shape.admits}
    mean_score = {e: ev.score_sum[e] / c for e, c in ev.whole.items() if c}

    def group_ratio(entity: str) -> float:
        # members of a group share a column (an ID column with passports): count them together
        return min(1.0, sum(ratios.get(m, 0.0) for m in _group_of(entity, settings)))

    def pick_in_group(entity: str) -> str:
        members = [
            m for m in _group_of(entity, settings) if ratios.get(m, 0) >= t.group_member_min_ratio
        ]
        # first listed member is the most protective of the group
        return members[0] if members else entity

    def confidence(entity: str, ratio: float, header_agrees: bool) -> float:
        s = mean_score.get(entity, 0.5)
        base = (0.5 + 0.5 * s) * ratio
        if header_agrees and header:
            base = 1 - (1 - base) * (1 - header.strength)
        return round(min(1.0, base), 3)

    def masked_flag(entity: str) -> bool:
        c = ev.whole.get(entity, 0)
        return bool(c) and ev.masked.get(entity, 0) / c >= t.masked_min_share

    value_ranked = sorted(
        (e for e in ratios if e not in settings.header_required),
        key=lambda e: (group_ratio(e), mean_score.get(e, 0)),
        reverse=True,
    )
    top = value_ranked[0] if value_ranked else None
    top_ratio = group_ratio(top) if top else 0.0

    if h_ent and h_ent != "NONE":
        # lat/lng axes, passwords, incomes...: values cannot contradict what the header says
        header_decides = header is not None and (
            header.entity in settings.header_required or h_ent in settings.header_required
        )
        h_ratio = (
            group_ratio(h_ent)
            if h_ent in ratios or any(m in ratios for m in _group_of(h_ent, settings))
            else 0.0
        )
        if (
            top
            and top_ratio >= t.value_min_ratio
            and top not in _group_of(h_ent, settings)
            and top_ratio > h_ratio
        ):
            e = pick_in_group(top)
            return ColumnDecision(
                e,
                confidence(e, top_ratio, False),
                masked_flag(e),
                n,
                round(top_ratio, 3),
                f"{top_ratio:.0%} of {n} values are {e}; header '{column}' suggested {h_ent}",
                "values",
                h_ent,
                ratios,
            )
        if h_ratio >= t.value_min_ratio_with_header or header_decides:
            e = pick_in_group(h_ent) if h_ratio else h_ent
            conf = max(
                confidence(e, h_ratio, True),
                header.strength if header_decides else 0,
            )
            return ColumnDecision(
                e,
                round(conf, 3),
                masked_flag(e),
                n,
                round(h_ratio, 3),
                f"header '{column}' ({header.term}) and {h_ratio:.0%} of {n} values agree on {e}",
                "values+header",
                h_ent,
                ratios,
            )
        if h_ratio > t.chance_ratio:
            return ColumnDecision(
                h_ent,
                t.header_only_confidence,
                masked_flag(h_ent),
                n,
                round(h_ratio, 3),
                f"header '{column}' names {h_ent}; only {h_ratio:.0%} of {n} values match",
                "header",
                h_ent,
                ratios,
            )
        # the header names a checkable entity the values do not show: fail closed (DATA-02)
        return ColumnDecision(
            "UNCLASSIFIED",
            0.0,
            False,
            n,
            round(h_ratio, 3),
            f"header '{column}' names {h_ent} but {h_ratio:.0%} of {n} values match it",
            "values+header",
            h_ent,
            ratios,
        )

    if top and top_ratio >= t.value_min_ratio:
        e = pick_in_group(top)
        return ColumnDecision(
            e,
            confidence(e, top_ratio, False),
            masked_flag(e),
            n,
            round(top_ratio, 3),
            f"{top_ratio:.0%} of {n} sampled values are {e} (header '{column}' not in lexicon)",
            "values",
            h_ent,
            ratios,
        )
    embedded_ratio = ev.embedded_values / n
    if (
        # timestamps, dates, times, decimals are never prose: the hits inside them are chance;
        # an enumeration's or code's embedded hit is still PII (fail closed), so it counts
        (shape is None or shape.admits is None)
        and ev.avg_length >= t.free_text_min_avg_length
        and ev.prose_share >= 0.5
        and embedded_ratio >= t.free_text_min_ratio
    ):
        return ColumnDecision(
            "FREE_TEXT_PII",
            round(min(1.0, 0.7 + embedded_ratio), 3),
            False,
            n,
            round(embedded_ratio, 3),
            f"prose (avg {ev.avg_length:.0f} chars): {embedded_ratio:.0%} of {n} values embed PII",
            "values",
            h_ent,
            ratios,
        )
    if top and top_ratio > t.chance_ratio:
        return ColumnDecision(
            "UNCLASSIFIED",
            round(1 - top_ratio, 3),
            False,
            n,
            round(top_ratio, 3),
            f"ambiguous: {top_ratio:.0%} of {n} values look like {top}",
            "values",
            h_ent,
            ratios,
        )
    why = f"no entity above chance ({top or 'none'} {top_ratio:.0%} of {n} values)"
    if shape:
        why += f"; {shape.share:.0%} are {shape.name} values"
        if shape.admits is not None:
            why += " (never free text)"
        if found.discarded:
            best = max(found.discarded, key=found.discarded.get)
            why += f", so {found.discarded[best]:.0%} {best} hits inside them do not count"
    return ColumnDecision(
        "NONE",
        round(1 - top_ratio, 3),
        False,
        n,
        round(top_ratio, 3),
        why + _bare_number_note(sample, settings),
        "values" if h_ent is None else "values+header",
        h_ent,
        ratios,
    )
