"""Recording benchmark results in ``docs/benchmarks.md``: each benchmark owns one section.

``make bench`` runs every ``tests/benchmarks/bench_*.py``; each calls :func:`write_section` with
its markdown (data size, numbers, baselines measured in the same run). Sections are delimited by
HTML comments so a re-run replaces its own section and leaves the others.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from pathlib import Path

import psutil

from crmguard.paths import REPO_ROOT

BENCHMARKS_MD = REPO_ROOT / "docs" / "benchmarks.md"
_HEADER = (
    "# Benchmarks\n\n"
    "Written by `make bench` (never by hand). Each section names the machine, the data size and\n"
    "the baselines measured in the same run.\n"
)


def machine_info() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = psutil.virtual_memory().total / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def write_section(name: str, markdown: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace (or append) the section ``name`` of the benchmarks file."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        f"<!-- bench:{name} -->\n## {name}\n\n"
        f"Run {stamp} on {machine_info()}.\n\n{markdown.strip()}\n<!-- /bench:{name} -->\n"
    )
    text = path.read_text(encoding="utf-8") if path.exists() else _HEADER
    pattern = re.compile(
        rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->\n", re.S
    )
    text = (
        pattern.sub(lambda _: body, text) if pattern.search(text) else text.rstrip() + "\n\n" + body
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
