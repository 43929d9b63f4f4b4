"""IP_ADDRESS: IPv4 dotted quads and IPv6 addresses, validated by :mod:`ipaddress`."""

from __future__ import annotations

import ipaddress
from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer


class IpAddressRecognizer(ChineseRecognizer):
    ENTITY = "IP_ADDRESS"
    PATTERNS: ClassVar[list[tuple[str, str, float]]] = [
        # a dotted quad after a letter, "rv:" or "Name/" is a version (v1.2.3.4, Firefox/1.9.5.20)
        (
            "ipv4",
            r"(?<![0-9.A-Za-z])(?<!rv:)(?<![A-Za-z]/)(?:\d{1,3}\.){3}\d{1,3}(?![0-9]|\.\d)",
            0.6,
        ),
        (
            "ipv6",
            r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])",
            0.6,
        ),
        ("ipv4_masked", r"(?<![0-9.])(?:\d{1,3}\.){2}(?:\d{1,3}|\*{1,3})\.\*{1,3}(?![0-9*])", 0.7),
    ]
    CONTEXT: ClassVar[list[str]] = ["ip"]
    CHECK: ClassVar[str | None] = "a valid IPv4/IPv6 address"

    def validate_result(self, pattern_text: str) -> bool | None:
        if "*" in pattern_text:
            return None
        try:
            ipaddress.ip_address(pattern_text)
        except ValueError:
            return False
        return True
