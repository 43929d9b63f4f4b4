"""ADDRESS: Chinese postal addresses (administrative levels, then street, number, building)."""

from __future__ import annotations

import re
from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer

_HAN = r"[\u4e00-\u9fff]"
_ADMIN = rf"{_HAN}{{1,8}}?(?:省|自治区|特别行政区|市|自治州|州|盟|地区|区|县|旗|镇|乡|街道)"
_STREET = r"[\u4e00-\u9fff0-9A-Za-z]{1,12}?(?:大道|路|街|巷|弄|胡同|道|村|里|小区|花园|大厦|广场)"
# building parts may be lettered (A座, m栋) as well as numbered
_NUMBER = (
    r"(?:[0-9０-９A-Za-z一二三四五六七八九十百]+"
    r"(?:号院|号楼|号|弄|栋|幢|座|楼|层|单元|室)(?:-[0-9０-９]+)?)"
)
_POSTCODE = r"(?:\s*[0-9]{6})?"
_ADMIN_RE = re.compile(r"(?:省|自治区|特别行政区|市|州|盟|区|县|旗|镇|乡)")
_STREET_RE = re.compile(r"(?:路|街|巷|弄|胡同|道|村|里|小区|花园|大厦|广场)")


class AddressRecognizer(ChineseRecognizer):
    ENTITY = "ADDRESS"
    PATTERNS: ClassVar[list[tuple[str, str, float]]] = [
        # at least one administrative level and a street-level part
        ("address", rf"(?:{_ADMIN}){{1,4}}{_STREET}{_NUMBER}{{0,4}}{_POSTCODE}", 0.6),
        ("address_masked", rf"(?:{_ADMIN}){{1,4}}[*＊]{{2,}}", 0.7),
    ]
    CONTEXT: ClassVar[list[str]] = ["地址", "address"]

    def validate_result(self, pattern_text: str) -> bool | None:
        if "*" in pattern_text:
            return None
        # an address names an administrative unit and a street-level place; a number makes it sure
        admin = _ADMIN_RE.search(pattern_text)
        street = _STREET_RE.search(pattern_text, admin.end() if admin else 0)
        if not admin or not street:
            return False
        return True if re.search(_NUMBER, pattern_text) else None
