"""The rule comparison form (crmguard.rule_text): NFKC per character, ASCII case folded, trimmed;
the committed dbt macro table is the one this module builds."""

from __future__ import annotations

import string
import unicodedata

import pytest

from crmguard import rule_text
from crmguard.paths import layout


def test_committed_macro_table_is_generated_from_the_module() -> None:
    committed = (layout().dbt_project / rule_text.MACRO_PATH).read_text(encoding="utf-8")
    assert committed == rule_text.render_macro(), "run `python -m crmguard.rule_text`"


def _spec_form(char: str) -> str:
    """What the spec asks: NFKC, then (ASCII) lower case."""
    return unicodedata.normalize("NFKC", char).translate(
        str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
    )


def test_every_bmp_character_folds_as_nfkc_or_is_a_documented_expansion() -> None:
    """Each BMP character becomes its NFKC form (ASCII lower-cased) when that form is one
    character; the characters NFKC expands to several are the documented exception, kept."""
    expansions = 0
    for point in range(0x10000):
        if 0xD800 <= point < 0xE000:
            continue
        char = chr(point)
        want = _spec_form(char)
        got = char.translate(rule_text.fold_table())
        if len(want) == 1:
            assert got == want, f"U+{point:04X}"
        else:
            expansions += 1
            assert got == char, f"U+{point:04X}"
    assert 1000 < expansions < 1300  # ㈱, ½, ﬁ, ... (Unicode 14: 1,163)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("……１００％好评！回复TD退订", "……100%好评!回复td退订"),
        ("\u3000ＮＥＷ10 ", "new10"),  # ideographic space trimmed
        ("全网第\u2f00", "全网第一"),  # Kangxi radical one
        ("概\uf967退换", "概不退换"),  # CJK compatibility ideograph of 不
        ("ｃｎ－ｎｏｒｔｈ－１", "cn-north-1"),
        ("满１００减２０", "满100减20"),
        ("ÀÉ", "ÀÉ"),  # case folding is ASCII only (engines' Unicode tables differ)
    ],
)
def test_fold_examples(text: str, folded: str) -> None:
    assert rule_text.fold(text) == folded


def test_fold_keeps_positions_for_evidence() -> None:
    """One character to one: the original spelling sits at the folded match's position."""
    text = "本店１００％正品"
    folded = text.translate(rule_text.fold_table())
    assert len(folded) == len(text)
    at = folded.index("100%")
    assert text[at : at + 4] == "１００％"


def test_stages_are_disjoint_and_the_common_one_is_small() -> None:
    common, rare = rule_text.fold_stages()
    assert not set(common.source) & set(rare.source)
    # outputs are never inputs: the two translates commute
    assert not set(common.target + rare.target) & set(common.source + rare.source)
    assert len(common.source) < 150 < len(rare.source)


def test_look_alike_spellings_fold_back_to_the_configured_words() -> None:
    """The generator's look-alike spellings (full-width, Kangxi radicals, compatibility
    ideographs) differ from the configured words yet have the same comparison form."""
    from crmguard.config import compliance_rules

    p = compliance_rules().parameters
    words = [*p.mkt_01.absolute_terms, *p.con_01.unfair_clauses, *p.mkt_03.promo_code_factors]
    for word in words:
        assert rule_text.fold(rule_text.look_alike(word)) == rule_text.fold(word), word
    assert rule_text.look_alike("100%") == "１００％"
    assert rule_text.look_alike("第一") == "第\u2f00"
    assert sum(rule_text.look_alike(w) != w for w in words) >= 5
