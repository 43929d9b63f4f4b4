"""Benchmark of `crmguard ingest` against DuckDB's bare read_csv -> Parquet on the same files.

The data are a generated landing batch (``crmguard generate --customers N``, default 1,000,000:
10M marketing messages). Per landing file, in the same run and on the same machine:

- ingest: ``ingest_file`` in a fresh subprocess (decision, scan, parse, casts, dedup, COPY of raw
  and quarantine), with the configured DuckDB threads and memory limit;
- bare: DuckDB alone in a fresh subprocess, ``COPY (select * from read_csv(file)) TO parquet``
  (``read_json`` for JSONL), zstd, the same thread count: the engine's own speed, no checks.

Peak RSS is sampled every 0.1 s over the subprocess tree with psutil. The ratio is bare seconds
over ingest seconds (the target: ingest at least 50% of bare, at most 2 GiB RSS).
Environment: CRMGUARD_BENCH_CUSTOMERS, CRMGUARD_BENCH_FILES (comma list, default all).
Writes the ``ingest`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

N = int(os.environ.get("CRMGUARD_BENCH_CUSTOMERS", "1000000"))
FILES = [f for f in os.environ.get("CRMGUARD_BENCH_FILES", "").split(",") if f]
HOME = Path(tempfile.mkdtemp(prefix="crmguard-bench-ingest-"))
os.environ["CRMGUARD_HOME"] = str(HOME)

from crmguard.benchmarks import write_section  # noqa: E402
from crmguard.ingest.formats import ingest_formats  # noqa: E402

TARGET_RATIO = 0.5
TARGET_RSS = 2 * 2**30


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(code: str) -> tuple[float, int, str, float]:
    """(seconds, peak RSS of the process tree, stdout, CPU seconds) of ``python -c code``."""
    cpu_before = _children_cpu()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    watcher = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, _tree_rss(watcher))
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    seconds = time.monotonic() - started
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed ({proc.returncode}):\n{code}\n{err[-4000:]}")
    return seconds, peak, out, _children_cpu() - cpu_before


def generate(landing: Path) -> tuple[str, dict]:
    subprocess.run(
        [sys.executable, "-m", "crmguard.cli", "generate", "--out", str(landing),
         "--customers", str(N), "--seed", "42"],
        check=True, capture_output=True,
    )  # fmt: skip
    batch = next(p.name for p in landing.iterdir() if p.is_dir())
    manifest = json.loads((landing / batch / "expected.json").read_text(encoding="utf-8"))
    return batch, manifest["files"]


def ingest_one(landing: Path, batch: str, name: str) -> tuple[float, int, dict, float]:
    code = (
        "import json\nfrom crmguard.ingest import ingest_file\n"
        f"print(json.dumps(ingest_file({str(landing)!r}, {batch!r}, {name!r})))"
    )
    seconds, peak, out, cpu = measured(code)
    return seconds, peak, json.loads(out.strip().splitlines()[-1]), cpu


def bare_one(path: Path, out: Path, threads: int) -> tuple[float, int, float]:
    # the same dialect as the landing contract, nothing checked: bad rows skipped, every column
    # text (GB18030 files are read as if UTF-8, which DuckDB cannot tell apart: speed only)
    if path.suffix == ".jsonl":
        reader = f"read_json('{path}', format = 'newline_delimited', ignore_errors = true)"
    else:
        reader = (
            f"read_csv('{path}', delim = ',', quote = '\"', escape = '\"', header = true, "
            "all_varchar = true, ignore_errors = true, strict_mode = false, "
            "max_line_size = 33554432)"
        )
    copy = f"copy (select * from {reader}) to '{out}' (format parquet, compression zstd)"
    code = (
        "import duckdb\ncon = duckdb.connect()\n"
        f"con.execute('set threads = {threads}')\ncon.execute({copy!r})"
    )
    seconds, peak, _, cpu = measured(code)
    out.unlink(missing_ok=True)
    return seconds, peak, cpu


def main() -> None:
    landing = HOME / "landing"
    started = time.monotonic()
    batch, files = generate(landing)
    generated_s = time.monotonic() - started
    threads = ingest_formats().engine.threads
    names = FILES or sorted(files)
    table = []
    for name in names:
        path = landing / batch / name
        ingest_s, ingest_rss, result, ingest_cpu = ingest_one(landing, batch, name)
        bare_s, bare_rss, bare_cpu = bare_one(path, HOME / "bare.parquet", threads)
        table.append(
            {
                "file": name,
                "bytes": path.stat().st_size,
                "rows": result["rows_counted"],
                "loaded": result["rows_loaded"],
                "quarantined": result["rows_quarantined"],
                "ingest_s": ingest_s,
                "in_process_s": result["elapsed_s"],
                "bare_s": bare_s,
                "ingest_cpu": ingest_cpu,
                "bare_cpu": bare_cpu,
                "ingest_rss": ingest_rss,
                "bare_rss": bare_rss,
            }
        )
        print(table[-1], flush=True)
    rows = sum(r["rows"] for r in table)
    ingest_total = sum(r["ingest_s"] for r in table)
    bare_total = sum(r["bare_s"] for r in table)
    worst_rss = max(r["ingest_rss"] for r in table)
    lines = [
        f"Batch of {N:,} customers (`crmguard generate --seed 42`, {generated_s:.0f} s), "
        f"{rows:,} records in {len(table)} files; DuckDB threads = {threads} for both sides. "
        "Each step is a fresh subprocess (interpreter start included on both sides); peak RSS "
        "is sampled every 0.1 s over its process tree. The machine's 2 cores were shared with "
        "other work during the run, so seconds are wall time under that load; the ratio is "
        "what compares.",
        "",
        "| file | MiB | records | loaded | quarantined | ingest s (in-process) "
        "| bare read_csv→Parquet s | bare/ingest | CPU s ingest / bare | ingest records/s "
        "| ingest peak RSS | bare peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        lines.append(
            f"| {r['file']} | {r['bytes'] / 2**20:,.1f} | {r['rows']:,} | {r['loaded']:,} "
            f"| {r['quarantined']:,} | {r['ingest_s']:.2f} ({r['in_process_s']:.2f}) "
            f"| {r['bare_s']:.2f} "
            f"| {r['bare_s'] / r['ingest_s']:.0%} | {r['ingest_cpu']:.1f} / {r['bare_cpu']:.1f} "
            f"| {r['rows'] / r['ingest_s']:,.0f} "
            f"| {r['ingest_rss'] / 2**20:,.0f} MiB | {r['bare_rss'] / 2**20:,.0f} MiB |"
        )
    ratio = bare_total / ingest_total
    cpu_in, cpu_bare = sum(r["ingest_cpu"] for r in table), sum(r["bare_cpu"] for r in table)
    lines += [
        f"| **all** | | {rows:,} | | | {ingest_total:.1f} | {bare_total:.1f} | {ratio:.0%} "
        f"| {cpu_in:.1f} / {cpu_bare:.1f} "
        f"| {rows / ingest_total:,.0f} | {worst_rss / 2**20:,.0f} MiB (max) | |",
        "",
        f"Targets: ingest ≥ {TARGET_RATIO:.0%} of bare — "
        f"{'met' if ratio >= TARGET_RATIO else 'not met'} ({ratio:.0%}); peak RSS ≤ 2 GiB — "
        f"{'met' if worst_rss <= TARGET_RSS else 'not met'} ({worst_rss / 2**20:,.0f} MiB).",
    ]
    write_section("ingest", "\n".join(lines))
    shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
