"""Protected lake: every vault_token_mask column holds only tokens or display masks.

Per source, the columns checked are the protect stage's outputs of each catalog column whose
class is vault_token_mask (``<col>_token``, ``<col>_mask``) plus the clear column name should it
ever appear in the protected Parquet. Tokens are HMAC-SHA256 hex; masks follow the entity's
``display_mask`` in the policy profile (keep first/last, rounding, redaction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import great_expectations as gx

from classification.policy import DisplayMask
from expectations.suites import BLOCKING, tagged

NAME = "protected_vault"
TOKEN_REGEX = r"^[0-9a-f]{64}$"
# the protect job's redaction marker (spark_jobs.protect.transforms.REDACTED)
REDACTED_REGEX = r"^\*\*\*$"


@dataclass(frozen=True)
class VaultColumn:
    """One protected Parquet column derived from (or named after) a vaulted source column."""

    column: str  # name in the protected Parquet
    source_column: str
    entity: str
    role: str  # token | mask | clear_name


def mask_regex(mask: DisplayMask) -> str:
    """Java/Python regex of a display mask made by the protect job (transforms.display_mask)."""
    if mask.redact:
        return REDACTED_REGEX
    if mask.geo_round_decimals is not None:
        number = rf"-?\d{{1,3}}(?:\.\d{{1,{max(mask.geo_round_decimals, 1)}}})?"
        return rf"^{number},{number}$"
    char = re.escape(mask.mask_char)
    other = f"[^{char}]"
    # at least one mask character, and no more clear characters either side than the policy
    # keeps (short values are masked whole; other id types of the column keep fewer)
    return rf"^{other}{{0,{mask.keep_first}}}{char}+{other}{{0,{mask.keep_last}}}$"


def suite_name(source: str) -> str:
    return f"{NAME}.{source}"


def build_suite(
    source: str, columns: list[VaultColumn], masks: dict[str, DisplayMask]
) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=suite_name(source))
    for vc in columns:
        # an entity without a display mask in the profile: only fully masked values pass
        mask = mask_regex(masks.get(vc.entity, DisplayMask()))
        regex = {
            "token": TOKEN_REGEX,
            "mask": mask,
            "clear_name": f"(?:{TOKEN_REGEX})|(?:{mask})",
        }[vc.role]
        suite.add_expectation(
            tagged(
                gx.expectations.ExpectColumnValuesToMatchRegex,
                severity=BLOCKING,
                check=f"vault_form:{source}.{vc.column}",
                zh=f"受保护数据 {source}.{vc.column}（{vc.entity}）只含令牌或掩码",
                en=(
                    f"protected {source}.{vc.column} ({vc.entity}, from {vc.source_column}) "
                    f"holds only {'tokens' if vc.role == 'token' else 'tokens or display masks'}"
                ),
                column=vc.column,
                regex=regex,
            )
        )
    return suite
