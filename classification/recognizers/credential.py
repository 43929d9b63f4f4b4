"""CREDENTIAL: stored authentication secrets (bcrypt, argon2, PBKDF2, scrypt hashes); headers
do the rest."""

from __future__ import annotations

from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer


class CredentialRecognizer(ChineseRecognizer):
    ENTITY = "CREDENTIAL"
    PATTERNS: ClassVar[list[tuple[str, str, float]]] = [
        # self-describing password-hash formats; plain sha256 digests (document hashes) are not
        ("bcrypt", r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}", 0.9),
        (
            "argon2",
            r"\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+",
            0.9,
        ),
        (
            "pbkdf2_or_scrypt",
            r"(?:pbkdf2_sha(?:1|256|512)|scrypt)\$\d+\$[A-Za-z0-9+/=.]+\$[A-Za-z0-9+/=.]+",
            0.9,
        ),
    ]
    CONTEXT: ClassVar[list[str]] = ["密码", "password"]
