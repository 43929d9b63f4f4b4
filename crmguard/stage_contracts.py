"""Typed hand-offs between stages: the classification catalog and the protection manifest.

``lake/catalog/catalog.json`` (classify -> protect, dbt, validation, report, publish) and the
``_protection.json`` beside each protected/restricted partition (protect -> dbt, validation) are
each a pydantic model with exactly one reader and one writer here, as dbt's manifest is for dbt.
Both formats are ours, so unknown keys are refused; every error names the file and the field.
Protection classes and protective forms are enums that every stage compares against instead of
string literals. The batch date is checked by :mod:`crmguard.batch_date`, the one parser.

On disk the JSON is what the stages wrote before these models (same keys, same order and
indentation), so existing lakes read unchanged; catalogs written before the ``evidence`` list
read with an empty one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_serializer,
)

from crmguard.batch_date import BatchDateError, canonical_batch_date

PROTECTION_JSON = "_protection.json"


class ProtectionClass(StrEnum):
    """What the protect stage does with a column (policy profiles map entity -> class)."""

    VAULT_TOKEN_MASK = "vault_token_mask"  # C1: clear value to the vault, token + display mask
    RESTRICTED_GENERALISE = "restricted_generalise"  # C2: clear in restricted, generalised out
    PASS = "pass"  # not personal data: unchanged (free text may still be scrubbed)
    TOKEN_KEY = "token_key"  # the customer key: a keyed token everywhere
    DROP = "drop"  # unclassified, under the confidence floor or new: left out (fail closed)


# classes whose columns hold personal data (C1 and C2 of any profile)
PERSONAL_CLASSES = frozenset(
    {ProtectionClass.VAULT_TOKEN_MASK, ProtectionClass.RESTRICTED_GENERALISE}
)


class ProtectiveForm(StrEnum):
    """What one source column became in one zone (``_protection.json`` ``form``)."""

    CLEAR = "clear"  # unchanged
    TOKEN = "token"  # keyed token (and, for C1, a display mask beside it)
    MASK = "mask"
    BAND = "band"  # a number as its policy band, e.g. "[550,650)"
    GENERALISED = "generalised"  # surname, province/city, year, IP prefix, …
    SCRUBBED = "scrubbed"  # free text with personal data replaced
    DROPPED = "dropped"  # not written at all
    DERIVED = "derived"  # an output the pipeline adds (no source column)


# forms that keep a C1/C2 value out of sight of analysts
PROTECTIVE_FORMS = frozenset(
    {
        ProtectiveForm.TOKEN,
        ProtectiveForm.MASK,
        ProtectiveForm.BAND,
        ProtectiveForm.GENERALISED,
        ProtectiveForm.SCRUBBED,
        ProtectiveForm.DROPPED,
    }
)


class StageContractError(ValueError):
    """A stage hand-off file is missing or does not match its contract; names file and field."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _batch_date(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return canonical_batch_date(value)
    except BatchDateError as exc:
        raise ValueError(str(exc)) from None


# -- the classification catalog -------------------------------------------------------------


class Evidence(_Contract):
    """One thing that decided a column, most telling first (header, values, checksum, shape)."""

    kind: str
    detail: str
    strength: float | None = None  # header: the lexicon term's strength
    agrees: bool | None = None  # header: does it name the entity the values gave
    share: float | None = None  # values/checksum/shape: share of the sample

    @model_serializer(mode="wrap")
    def _without_absent(self, handler: Any) -> dict[str, Any]:
        # an item carries only the measures its kind has (as the classifier writes it)
        return {k: v for k, v in handler(self).items() if v is not None}


class CatalogColumn(_Contract):
    """The classification of one column (``catalog.json`` tables -> table -> column)."""

    entity: str
    tier: str
    protection: ProtectionClass
    confidence: float = Field(ge=0.0, le=1.0)
    masked: bool = False
    sample_size: int | None = None  # non-null values sampled; 0 = the extract left it empty
    match_ratio: float | None = None
    reason: str = ""
    source: str | None = None  # what decided: header, values, key, override, …
    new: bool = False  # not in the previous catalog
    pipl_sensitive: bool | None = None
    in_contract: bool = True
    evidence: list[Evidence] = Field(default_factory=list)  # empty before 2026-12-04


class Catalog(_Contract):
    """``lake/catalog/catalog.json``: every column of every table of one batch, classified."""

    profile: str
    policy_version: str
    policy_sha256: str | None = None
    classifier_sha256: str | None = None
    generated_at: dt.datetime | None = None
    batch_date: str | None = None  # None for `crmguard classify PATH...`
    tables: dict[str, dict[str, CatalogColumn]]

    _check_batch_date = field_validator("batch_date")(_batch_date)

    @field_serializer("generated_at")
    def _iso(self, value: dt.datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    def columns_of(self, table: str) -> dict[str, CatalogColumn]:
        """A table's columns (empty for a table the catalog does not know)."""
        return self.tables.get(table, {})

    def as_json(self) -> dict[str, Any]:
        """Plain JSON types (str enums as str), for YAML, SQL parameters and printing."""
        return self.model_dump(mode="json")


# -- the protection manifest ----------------------------------------------------------------


class ManifestColumn(_Contract):
    """What one source column became in one zone."""

    outputs: list[str]
    form: ProtectiveForm
    entity: str
    tier: str
    protection: ProtectionClass


class ProtectionManifest(_Contract):
    """``_protection.json`` beside one protected or restricted partition."""

    zone: Literal["protected", "restricted"]
    source: str
    batch_date: str
    policy_profile: str | None = None
    policy_version: str | None = None
    policy_sha256: str | None = None
    key_version: int | None = None  # None for pipeline tables (no keyed column)
    columns: dict[str, ManifestColumn]

    _check_batch_date = field_validator("batch_date")(_batch_date)

    def outputs_of(self, column: str) -> list[str]:
        entry = self.columns.get(column)
        return list(entry.outputs) if entry is not None else []

    def form_of(self, column: str) -> ProtectiveForm | None:
        entry = self.columns.get(column)
        return entry.form if entry is not None else None


# -- readers and writers (the only ones) ----------------------------------------------------


def _problems(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "(document)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def _read(path: Path, model: type[_Contract], what: str) -> Any:
    if not path.is_file():
        raise StageContractError(path, f"{what} not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StageContractError(path, f"cannot read {what} ({exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StageContractError(path, f"line {exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise StageContractError(path, f"{what} must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise StageContractError(path, f"malformed {what}: {_problems(exc)}") from exc


def _write_atomic(path: Path, text: str, mode: int | None) -> Path:
    """Readers never see a half-written file (write beside it, then rename)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_catalog(path: Path) -> Catalog:
    """The catalog at ``path``; a missing, unreadable or malformed file is a StageContractError."""
    return _read(path, Catalog, "catalog")


def catalog_json(catalog: Catalog) -> str:
    """The catalog's text on disk (sorted keys, two-space indent, UTF-8 unescaped)."""
    return json.dumps(catalog.as_json(), ensure_ascii=False, indent=2, sort_keys=True)


def write_catalog(catalog: Catalog, path: Path, mode: int | None = None) -> Path:
    """Write ``catalog`` to ``path`` atomically (``mode``: the file's permission bits)."""
    return _write_atomic(path, catalog_json(catalog), mode)


def read_protection_manifest(path: Path) -> ProtectionManifest:
    """The manifest at ``path`` (a partition's ``_protection.json``)."""
    return _read(path, ProtectionManifest, "protection manifest")


def write_protection_manifest(manifest: ProtectionManifest, path: Path) -> Path:
    """Write ``manifest`` to ``path`` (normally ``<partition>/_protection.json``)."""
    doc = manifest.model_dump(mode="json", exclude_none=True)
    return _write_atomic(path, json.dumps(doc, ensure_ascii=False, indent=2), None)
