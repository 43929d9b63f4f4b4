"""Benchmark: `crmguard generate` at 1,000,000 customers (~10M messages): wall time, peak RSS.

Run: ``python tests/benchmarks/bench_generate.py [--customers N]``. The generator runs in a
subprocess whose peak resident memory (children included) is sampled with psutil.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from crmguard.benchmarks import write_section

# the budget for 1,000,000 customers
TIME_BUDGET_SECONDS = 600
MEMORY_BUDGET_BYTES = 2 * 2**30


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def run(customers: int, seed: int = 42) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="crmguard-bench-generate-") as out:
        cmd = [
            sys.executable, "-m", "crmguard.cli", "generate",
            "--out", out, "--customers", str(customers), "--seed", str(seed),
        ]  # fmt: skip
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        watcher = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                peak = max(peak, _tree_rss(watcher))
            except psutil.NoSuchProcess:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        output = proc.stdout.read() if proc.stdout else ""
        if proc.returncode != 0:
            raise SystemExit(f"generator failed ({proc.returncode}):\n{output}")
        folder = next(Path(out).iterdir())
        manifest = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        size = sum(p.stat().st_size for p in folder.iterdir())
    files = manifest["files"]
    return {
        "customers": customers,
        "seconds": elapsed,
        "peak_rss_bytes": peak,
        "records": sum(f["records"] for f in files.values()),
        "messages": files["marketing_messages.csv"]["records"],
        "bytes": size,
    }


def markdown(result: dict[str, float | int]) -> str:
    rate = result["records"] / result["seconds"]
    ok_time = result["seconds"] <= TIME_BUDGET_SECONDS * result["customers"] / 1_000_000
    ok_mem = result["peak_rss_bytes"] <= MEMORY_BUDGET_BYTES
    return (
        "`crmguard generate` in a subprocess; peak RSS sampled every 0.2 s (children included).\n\n"
        "| customers | records (all 13 files) | messages | output | wall time | records/s "
        "| peak RSS |\n|---|---|---|---|---|---|---|\n"
        f"| {result['customers']:,} | {result['records']:,} | {result['messages']:,} "
        f"| {result['bytes'] / 2**20:,.0f} MiB | {result['seconds']:.1f} s | {rate:,.0f} "
        f"| {result['peak_rss_bytes'] / 2**20:,.0f} MiB |\n\n"
        f"Budget at 1,000,000 customers: {TIME_BUDGET_SECONDS} s and 2 GiB "
        f"(time {'met' if ok_time else 'MISSED'} pro rata, memory {'met' if ok_mem else 'MISSED'})."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    result = run(args.customers)
    text = markdown(result)
    print(text)
    write_section("generator", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
