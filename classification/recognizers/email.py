"""EMAIL: e-mail addresses whose domain has a public suffix (tldextract, offline snapshot only)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

import tldextract

from classification.recognizers.base import ChineseRecognizer


@lru_cache(maxsize=1)
def offline_extractor() -> tldextract.TLDExtract:
    # no suffix_list_urls and no cache: the public-suffix snapshot bundled with tldextract is
    # used, so classification never reaches the network
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class EmailRecognizer(ChineseRecognizer):
    ENTITY = "EMAIL"
    PATTERNS: ClassVar[list[tuple[str, str, float]]] = [
        (
            "email",
            r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])",
            0.5,
        ),
        (
            "email_masked",
            r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{0,3}[*＊]{2,}[A-Za-z0-9._%+-]{0,3}@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])",
            0.85,
        ),
    ]
    CONTEXT: ClassVar[list[str]] = ["邮箱", "email"]
    CHECK: ClassVar[str | None] = "a public-suffix domain"

    def validate_result(self, pattern_text: str) -> bool | None:
        # e-mail spans are validated as written: separators are part of the address
        domain = pattern_text.rsplit("@", 1)[-1]
        return bool(offline_extractor()(domain).suffix)
