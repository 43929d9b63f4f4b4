"""HEALTH: health condition words (糖尿病, 怀孕, ...), found in health columns and in prose."""

from __future__ import annotations

from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer
from classification.settings import RecognizerSettings


class HealthRecognizer(ChineseRecognizer):
    ENTITY = "HEALTH"
    CONTEXT: ClassVar[list[str]] = ["健康", "病史", "health"]

    def deny_list_for(self, settings: RecognizerSettings) -> list[str]:
        return settings.health_terms
