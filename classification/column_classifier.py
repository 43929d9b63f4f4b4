"""Column classifier: a seeded sample of values through the Presidio recognizers, plus header
evidence.

Per column: non-null sample -> cheap prefilter (the union of the recognizers' own regexes; a value
none of them can match never reaches Presidio) -> Presidio in batches over distinct values ->
per-entity match ratio and mean score -> combined with the header lexicon -> one decision with a
confidence and a readable reason. Chance matches (10% of random 16-digit numbers pass Luhn) stay
under ``chance_ratio`` and never label a column.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import regex
from presidio_analyzer import BatchAnalyzerEngine

from classification.engine import LANGUAGE, get_analyzer
from classification.recognizers.base import MASKED_KEY
from classification.settings import ClassificationSettings, classification_settings, fold_header

# column kinds by Arrow/DuckDB type: only text-like values carry recognisable PII strings
TEXT_KINDS = ("string", "integer")
_PROSE = re.compile(r"[\u4e00-\u9fff]|\s")


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
    score_sum: dict[str, float]
    embedded_values: int  # values with any match at all (for prose)
    avg_length: float
    prose_share: float  # values with Han characters or spaces: sentences, not codes


def analyse_values(values: list[str], settings: ClassificationSettings) -> ValueEvidence:
    """Run the recognizers over a sample (distinct values once, in batches)."""
    t = settings.thresholds
    counts = Counter(v for v in values)
    prefilter = _prefilter()
    candidates = [v for v in counts if prefilter.search(v)]
    whole: dict[str, int] = defaultdict(int)
    masked: dict[str, int] = defaultdict(int)
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
            best: dict[str, tuple[float, bool]] = {}
            for r in found:
                if (r.end - r.start) / length < t.embedded_min_coverage:
                    continue
                is_masked = bool((r.recognition_metadata or {}).get(MASKED_KEY))
                if r.entity_type not in best or r.score > best[r.entity_type][0]:
                    best[r.entity_type] = (r.score, is_masked)
            for entity, (score, is_masked) in best.items():
                whole[entity] += weight
                score_sum[entity] += score * weight
                if is_masked:
                    masked[entity] += weight
    n = len(values)
    avg = sum(len(v) for v in values) / n if n else 0.0
    prose = sum(1 for v in values if _PROSE.search(v)) / n if n else 0.0
    return ValueEvidence(n, dict(whole), dict(masked), dict(score_sum), embedded, avg, prose)


def _group_of(entity: str, settings: ClassificationSettings) -> list[str]:
    for members in settings.entity_groups.values():
        if entity in members:
            return members
    return [entity]


def decide(
    column: str,
    values: list[str] | None,
    kind: str,
    settings: ClassificationSettings | None = None,
    numeric_in_china_bounds: bool | None = None,
) -> ColumnDecision:
    """Classify one column from its header and (for text-like kinds) its sampled values."""
    settings = settings or classification_settings()
    t = settings.thresholds
    header = header_evidence(column, settings)
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
    sample = [v for v in (values or []) if v is not None and str(v).strip() != ""]
    n = len(sample)
    h_ent = header.entity if header else None
    if h_ent == "GEO_LOCATION_AXIS":
        h_ent = "GEO_LOCATION"
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
            f"{kind} values, header '{column}' names no personal entity",
            "header",
            h_ent,
        )

    ev = analyse_values(sample, settings)
    ratios = {e: c / n for e, c in ev.whole.items()}
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
        ev.avg_length >= t.free_text_min_avg_length
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
    return ColumnDecision(
        "NONE",
        round(1 - top_ratio, 3),
        False,
        n,
        round(top_ratio, 3),
        f"no entity above chance ({top or 'none'} {top_ratio:.0%} of {n} values)",
        "values" if h_ent is None else "values+header",
        h_ent,
        ratios,
    )
