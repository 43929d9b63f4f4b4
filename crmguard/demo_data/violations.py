"""Hook for planting compliance-rule violations (a later issue adds one planter per rule).

A planter receives a source name and a chunk of raw column values and may change them in place;
``--violations none`` selects no planter and yields a clean batch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ViolationPlanter = Callable[[str, dict[str, list[str]], np.random.Generator], None]

# rule id -> planter; filled by the rule-violation issue
PLANTERS: dict[str, ViolationPlanter] = {}


def planters_for(option: str) -> list[ViolationPlanter]:
    """Planters named by ``--violations`` (``none``, ``all`` or a comma list of rule ids)."""
    if option == "none":
        return []
    if option == "all":
        return list(PLANTERS.values())
    names = [n.strip() for n in option.split(",") if n.strip()]
    unknown = [n for n in names if n not in PLANTERS]
    if unknown:
        known = ", ".join(sorted(PLANTERS)) or "none yet"
        raise ValueError(f"--violations: no planter for {', '.join(unknown)} (known: {known})")
    return [PLANTERS[n] for n in names]
