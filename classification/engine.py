"""The Presidio analyzer for zh: a blank spaCy pipeline plus CRM Guard's registered recognizers.

No model downloads and no network: spaCy's blank ``zh`` (character segmentation) is built in
memory, tldextract uses its bundled suffix snapshot. A blank pipeline has no lemmas, so context
words come from the header lexicon in the column classifier, not from Presidio's enhancer.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from pathlib import Path

import spacy
import yaml
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from pydantic import BaseModel, ConfigDict

from classification.settings import classification_settings

LANGUAGE = "zh"
REGISTRY_YAML = Path(__file__).parent / "conf" / "recognizers.yaml"


class RegisteredRecognizer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    module: str
    class_: str
    entity: str
    enabled: bool = True

    def __init__(self, **data: object) -> None:
        if "class" in data:
            data["class_"] = data.pop("class")
        super().__init__(**data)


class RecognizerRegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    recognizers: list[RegisteredRecognizer]


def registered() -> list[RegisteredRecognizer]:
    try:
        data = yaml.safe_load(REGISTRY_YAML.read_text(encoding="utf-8"))
        return RecognizerRegistryFile.model_validate(data).recognizers
    except Exception as exc:
        raise ValueError(f"{REGISTRY_YAML}: {exc}") from exc


SUPPORTED_ENTITIES: list[str] = [r.entity for r in registered() if r.enabled]


class BlankChineseNlpEngine(SpacyNlpEngine):
    """spaCy NLP engine over ``spacy.blank("zh")``: tokens only, nothing to download."""

    def __init__(self) -> None:
        super().__init__(models=[{"lang_code": LANGUAGE, "model_name": "blank_zh"}])

    def load(self) -> None:
        self.nlp = {LANGUAGE: spacy.blank(LANGUAGE)}


def build_recognizers() -> list[EntityRecognizer]:
    settings = classification_settings().recognizers
    built: list[EntityRecognizer] = []
    for entry in registered():
        if not entry.enabled:
            continue
        module = importlib.import_module(f"classification.recognizers.{entry.module}")
        recognizer = getattr(module, entry.class_)(settings)
        if recognizer.supported_entities != [entry.entity]:
            raise ValueError(
                f"{REGISTRY_YAML}: {entry.class_} emits {recognizer.supported_entities}, "
                f"registry says {entry.entity}"
            )
        built.append(recognizer)
    return built


@lru_cache(maxsize=1)
def get_analyzer() -> AnalyzerEngine:
    """The process-wide zh AnalyzerEngine with every registered recognizer (built once)."""
    nlp_engine = BlankChineseNlpEngine()
    nlp_engine.load()
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for recognizer in build_recognizers():
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=[LANGUAGE])
