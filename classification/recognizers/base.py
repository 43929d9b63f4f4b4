"""Shared shape of CRM Guard's zh recognizers: Presidio PatternRecognizers with normalisation.

Values are matched as delivered, or NFKC-folded when folding keeps every offset, so that spans
stay true to the text (free text is scrubbed by offsets); ``normalise`` folds a matched span
(NFKC full-width digits, separators, ``+86``/``0086``) before any checksum. A span containing
a mask character (``138****5678``) is a masked form: it is reported with
``recognition_metadata["masked"] = True`` and never checksum-validated.
"""

from __future__ import annotations

import re
import unicodedata
from typing import ClassVar

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from classification.settings import RecognizerSettings

MASK_CHARS = "*＊×xX#"
_SEPARATORS = re.compile(r"[\s\-－—_·.()（）]")
MASKED_KEY = "masked"
VALIDATED_KEY = "validated"  # the span passed the recognizer's checksum (CHECK names it)


def normalise(text: str) -> str:
    """NFKC (full-width digits and letters), separators removed, China country code dropped."""
    folded = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).removeprefix("tel:")
    for prefix in ("+86", "0086"):
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


def is_masked(span: str) -> bool:
    return "*" in unicodedata.normalize("NFKC", span)


class ChineseRecognizer(PatternRecognizer):
    """A pattern recognizer for language ``zh`` whose patterns come from class constants."""

    ENTITY: ClassVar[str]
    # (name, regex, score); regexes use lookarounds, not \b: Han characters are word characters
    PATTERNS: ClassVar[list[tuple[str, str, float]]] = []
    CONTEXT: ClassVar[list[str]] = []
    # what validate_result checks, as the catalog's evidence names it (None: shape only)
    CHECK: ClassVar[str | None] = None

    def __init__(self, settings: RecognizerSettings) -> None:
        self.settings = settings
        patterns = [
            Pattern(name, regex, score) for name, regex, score in self.patterns_for(settings)
        ]
        super().__init__(
            supported_entity=self.ENTITY,
            name=type(self).__name__,
            supported_language="zh",
            patterns=patterns or None,
            deny_list=self.deny_list_for(settings) or None,
            context=self.CONTEXT,
        )

    # -- hooks -----------------------------------------------------------------------------------
    def patterns_for(self, settings: RecognizerSettings) -> list[tuple[str, str, float]]:
        return list(self.PATTERNS)

    def deny_list_for(self, settings: RecognizerSettings) -> list[str]:
        return []

    def check(self, normalised: str) -> bool | None:
        """Checksum/plausibility of a normalised unmasked match (None: no check possible)."""
        return None

    def refine_score(self, normalised: str, score: float) -> float:
        """Adjust a validated score (e.g. a known BIN prefix); default keeps it."""
        return score

    # -- Presidio -------------------------------------------------------------------------------
    def validate_result(self, pattern_text: str) -> bool | None:
        if is_masked(pattern_text):
            return None
        return self.check(normalise(pattern_text))

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        # NFKC before matching where it is safe: when folding keeps every character's offset
        # (full-width digits, letters, ＋ and spaces fold one to one), spans stay true to the text
        folded = text if text.isascii() else unicodedata.normalize("NFKC", text)
        if len(folded) != len(text):
            folded = text
        results = super().analyze(folded, entities, nlp_artifacts, regex_flags)
        for result in results:
            span = folded[result.start : result.end]
            masked = is_masked(span)
            # Presidio raises a span whose validate_result said True to the maximum score
            validated = not masked and result.score >= EntityRecognizer.MAX_SCORE
            if not masked:
                result.score = self.refine_score(normalise(span), result.score)
            result.recognition_metadata = {
                **(result.recognition_metadata or {}),
                MASKED_KEY: masked,
                VALIDATED_KEY: validated,
            }
        return results
