"""Normalise and cast one parsed record per the landing contract, or say why it is rejected.

Runs only after parsing: NFKC folds full-width digits and letters in identifier, number, date and
enum columns; free text is trimmed but keeps its characters as delivered.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from crmguard.config import ContractColumn, SourceContract
from crmguard.ingest.formats import IngestFormats

# reject kind per column type when a value does not cast
_KIND_BY_TYPE = {
    "date": "invalid_date",
    "timestamp": "invalid_timestamp",
    "enum": "invalid_enum",
    "decimal": "cast_error",
    "integer": "cast_error",
    "boolean": "cast_error",
}

# plain ASCII numbers only: Python's int()/Decimal() also take "1_000" and non-Latin digits
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")

Typed = str | int | bool | Decimal | dt.date | dt.datetime | None


@dataclass(frozen=True)
class Rejection:
    kind: str
    reason: str


class _CastFailed(ValueError):
    pass


class RecordCaster:
    """Casts the delivered text of one source's records to the contract's types."""

    def __init__(self, contract: SourceContract, timezone: str, formats: IngestFormats) -> None:
        self.contract = contract
        self.zone = ZoneInfo(timezone)
        self.formats = formats
        self.true = {unicodedata.normalize("NFKC", v).lower() for v in formats.boolean_true}
        self.false = {unicodedata.normalize("NFKC", v).lower() for v in formats.boolean_false}
        self.quantum = Decimal(1).scaleb(-formats.decimal_scale)
        self.decimal_limit = Decimal(10) ** (formats.decimal_precision - formats.decimal_scale)

    def cast_record(self, values: dict[str, str | None]) -> dict[str, Typed] | Rejection:
        """Typed contract columns (extra columns passed through as text), or the rejection."""
        out: dict[str, Typed] = {}
        problems: list[Rejection] = []
        for name, column in self.contract.columns.items():
            raw = values.get(name)
            try:
                out[name] = self.cast_value(column, raw)
            except _CastFailed as exc:
                problems.append(Rejection(_KIND_BY_TYPE[column.type], f"column {name}: {exc}"))
                continue
            if column.required and out[name] is None:
                problems.append(Rejection("missing_required", f"column {name}: required, empty"))
        if problems:
            return Rejection(problems[0].kind, "; ".join(p.reason for p in problems))
        for name, raw in values.items():
            if name not in self.contract.columns:
                out[name] = raw if raw not in (None, "") else None
        return out

    def cast_value(self, column: ContractColumn, raw: str | None) -> Typed:
        if raw is None:
            return None
        if column.type == "text":
            return raw.strip() or None
        value = unicodedata.normalize("NFKC", raw).strip()
        if not value:
            return None
        match column.type:
            case "identifier":
                return value
            case "enum":
                folded = value.upper() if column.case == "upper" else value.lower()
                if folded not in (column.values or []):
                    raise _CastFailed(f"value {raw!r} is not one of {column.values}")
                return folded
            case "date":
                return self._date(raw, value)
            case "timestamp":
                return self._timestamp(raw, value)
            case "decimal":
                return self._decimal(raw, value)
            case "integer":
                return self._integer(column, raw, value)
            case "boolean":
                low = value.lower()
                if low in self.true:
                    return True
                if low in self.false:
                    return False
                raise _CastFailed(
                    f"value {raw!r} is not a boolean "
                    f"(expected one of {self.formats.boolean_true + self.formats.boolean_false})"
                )
        raise _CastFailed(f"unknown column type {column.type!r}")

    def _date(self, raw: str, value: str) -> dt.date:
        try:
            if len(value) != 10:
                raise ValueError
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _CastFailed(f"value {raw!r} is not a date (expected YYYY-MM-DD)") from None

    def _timestamp(self, raw: str, value: str) -> dt.datetime:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _CastFailed(f"value {raw!r} is not an ISO-8601 timestamp") from None
        if parsed.tzinfo is None:
            # naive timestamps are in the contract's zone (Asia/Shanghai)
            parsed = parsed.replace(tzinfo=self.zone)
        return parsed.astimezone(dt.UTC)

    def _decimal(self, raw: str, value: str) -> Decimal:
        try:
            if not _DECIMAL.fullmatch(value):
                raise InvalidOperation
            number = Decimal(value)
        except InvalidOperation:
            raise _CastFailed(f"value {raw!r} is not a decimal") from None
        if not number.is_finite() or abs(number) >= self.decimal_limit:
            raise _CastFailed(
                f"value {raw!r} does not fit DECIMAL({self.formats.decimal_precision},"
                f"{self.formats.decimal_scale})"
            )
        if number != number.quantize(self.quantum):
            raise _CastFailed(
                f"value {raw!r} has more than {self.formats.decimal_scale} decimal places"
            )
        return number.quantize(self.quantum)

    def _integer(self, column: ContractColumn, raw: str, value: str) -> int:
        if not _INTEGER.fullmatch(value):
            raise _CastFailed(f"value {raw!r} is not an integer")
        try:
            number = int(value)
        except ValueError:
            raise _CastFailed(f"value {raw!r} is not an integer") from None
        if column.min is not None and number < column.min:
            raise _CastFailed(f"value {raw!r} is below the minimum {column.min}")
        if column.max is not None and number > column.max:
            raise _CastFailed(f"value {raw!r} is above the maximum {column.max}")
        return number
