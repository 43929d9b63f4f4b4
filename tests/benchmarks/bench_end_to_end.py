"""End-to-end benchmark: `crmguard generate --customers N` then `crmguard run` (the real DAG).

The batch is the demo's (its seed, ``--violations all``: every rule has findings to compute);
the latest batch the generator writes is the one run.

For each N (default 10k, 100k, 1M; ``CRMGUARD_BENCH_E2E_CUSTOMERS=10000,100000`` or argv
``10000 100000``) in a fresh ``CRMGUARD_HOME``:

- the DAG run's own timings per stage, from its Airflow metadata DB (task instance start and
  end; a stage of several tasks, e.g. the mapped ingest or the dbt group, is first start to
  last end), with rows/s over the batch's rows;
- peak RSS of the whole process tree of `crmguard run` (psutil, sampled every 0.25 s) and of
  its largest single process;
- bare baselines measured in the same run on the same data: ingest vs DuckDB ``read_csv`` /
  ``read_json`` → Parquet of the same landing files (GB18030 files read as latin-1: DuckDB has
  no GB18030 decoder, and the byte-level parse is the same work); protect vs a plain Spark
  rewrite of the raw tables to the zones the job writes (a fresh local session, as the job's
  spark-submit is);
- between consecutive sizes, each stage's growth exponent log(t2/t1) / log(n2/n1).

Writes the ``end-to-end`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from crmguard.benchmarks import write_section
from crmguard.demo import DEFAULT_SEED as DEMO_SEED

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
# stage -> task ids (a trailing "." is a task group prefix) in crm_governance
STAGES = {
    "ingest": ("discover", "ingest", "reconcile"),
    "classify": ("classify",),
    "protect": ("protect_spec", "protect"),
    "dbt": ("dbt_prepare", "dbt."),
    "validate": ("validate",),
    "publish": ("publish",),
    "report": ("report",),
}


def sizes() -> list[int]:
    given = sys.argv[1:] or [
        s for s in os.environ.get("CRMGUARD_BENCH_E2E_CUSTOMERS", "").split(",") if s
    ]
    return [int(s) for s in given] if given else list(DEFAULT_SIZES)


def crmguard(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crmguard.cli", *args],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


class TreeRss:
    """Peak RSS of a process and all its descendants, sampled in a thread."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_total = 0
        self.peak_single = 0
        self.peak_single_name = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                    name = proc.name()
                except psutil.Error:
                    continue
                total += rss
                if rss > self.peak_single:
                    self.peak_single, self.peak_single_name = rss, name
            self.peak_total = max(self.peak_total, total)
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def stage_seconds(airflow_db: Path) -> dict[str, float]:
    """Per stage: first task start to last task end of the DAG run (its own timings)."""
    con = sqlite3.connect(airflow_db)
    rows = con.execute(
        "select task_id, julianday(start_date) * 86400, julianday(end_date) * 86400"
        " from task_instance where dag_id = 'crm_governance' and start_date is not null"
    ).fetchall()
    con.close()
    out = {}
    for stage, ids in STAGES.items():
        spans = [
            (start, end)
            for task_id, start, end in rows
            if end is not None
            and any(task_id.startswith(i) if i.endswith(".") else task_id == i for i in ids)
        ]
        if spans:
            out[stage] = max(e for _, e in spans) - min(s for s, _ in spans)
    if rows:
        out["DAG (first task to last)"] = max(r[2] or 0 for r in rows) - min(r[1] for r in rows)
    return out


def landing_rows(folder: Path) -> int:
    manifest = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return sum(f["records"] for f in manifest["files"].values())


def raw_rows(home: Path, batch: str) -> int:
    import pyarrow.parquet as pq

    return sum(
        pq.read_metadata(p).num_rows
        for p in (home / "lake" / "raw").glob(f"*/batch_date={batch}/*.parquet")
    )


def duckdb_baseline(folder: Path, scratch: Path) -> float:
    """Seconds for DuckDB to read every landing file and write it as Parquet (2 threads)."""
    import duckdb

    manifest = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    scratch.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("set threads = 2")
    started = time.perf_counter()
    for name, spec in manifest["files"].items():
        path = str(folder / name)
        if spec["format"] == "jsonl":
            relation = f"read_json('{path}', format = 'newline_delimited', ignore_errors = true)"
        else:
            encoding = "latin-1" if spec["encoding"].lower() == "gb18030" else "utf-8"
            relation = (
                f"read_csv('{path}', all_varchar = true, encoding = '{encoding}',"
                " strict_mode = false, ignore_errors = true)"
            )
        con.execute(f"copy (select * from {relation}) to '{scratch / name}.parquet'")
    seconds = time.perf_counter() - started
    con.close()
    return seconds


_PLAIN_REWRITE = r"""
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from spark_jobs.session import build_session
from spark_jobs.protect import io
spark = build_session("bench-plain", master="local[2]")
zones = json.loads(sys.argv[1])
for source, targets in zones.items():
    raw = io.read_raw(spark, source, sys.argv[2])
    for zone in targets:
        raw.write.mode("overwrite").parquet(str(Path(sys.argv[3]) / zone / source))
spark.stop()
print(time.perf_counter() - started)
"""


def plain_rewrite_baseline(env: dict[str, str], home: Path, batch: str) -> float:
    """Seconds of a fresh local Spark session rewriting each raw table, unchanged, to the zones
    the protect job writes it to (protected, restricted, and the vault for vaulted tables)."""
    zones = {}
    for folder in sorted((home / "lake" / "protected").glob(f"*/batch_date={batch}")):
        source = folder.parent.name
        vaulted = (home / "lake" / "vault" / source / f"batch_date={batch}").is_dir()
        if (home / "lake" / "raw" / source).is_dir():
            zones[source] = ["protected", "restricted"] + (["vault"] if vaulted else [])
    done = subprocess.run(
        [sys.executable, "-c", _PLAIN_REWRITE, json.dumps(zones), batch, str(home / "plain")],
        env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def run_size(customers: int) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"crmguard-e2e-{customers}-"))
    env = {**os.environ, "CRMGUARD_HOME": str(home)}
    env.pop("CRMGUARD_KEY_FILE", None)
    landing = home / "landing"
    started = time.perf_counter()
    # the demo's batch (its seed, every rule's violations planted, as `crmguard demo` makes it)
    done = crmguard(env, "generate", "--out", str(landing), "--customers", str(customers),
                    "--seed", str(DEMO_SEED), "--violations", "all")  # fmt: skip
    if done.returncode:
        raise SystemExit(f"generate failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    generate_s = time.perf_counter() - started
    batch = sorted(p.name for p in landing.iterdir() if p.is_dir())[-1]
    crmguard(env, "keys", "init")
    run = subprocess.Popen(
        [sys.executable, "-m", "crmguard.cli", "run", "--landing", str(landing),
         "--batch-date", batch],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    rss = TreeRss(run.pid)
    started = time.perf_counter()
    output, _ = run.communicate()
    wall = time.perf_counter() - started
    rss.stop()
    if run.returncode:
        raise SystemExit(f"crmguard run failed ({run.returncode}):\n{output[-4000:]}")
    stages = stage_seconds(home / "airflow_home" / "airflow.db")
    result = {
        "customers": customers,
        "landing_rows": landing_rows(landing / batch),
        "landing_mib": sum(p.stat().st_size for p in (landing / batch).iterdir()) / 2**20,
        "raw_rows": raw_rows(home, batch),
        "generate_s": generate_s,
        "run_wall_s": wall,
        "stages": stages,
        "peak_rss_total": rss.peak_total,
        "peak_rss_single": rss.peak_single,
        "peak_rss_single_name": rss.peak_single_name,
        "duckdb_s": duckdb_baseline(landing / batch, home / "duckdb_baseline"),
        "plain_rewrite_s": plain_rewrite_baseline(env, home, batch),
    }
    print(json.dumps(result, indent=1), file=sys.stderr)
    shutil.rmtree(home, ignore_errors=True)
    return result


def exponent(t1: float, t2: float, n1: int, n2: int) -> float:
    return math.log(t2 / t1) / math.log(n2 / n1) if t1 > 0 and t2 > 0 else float("nan")


def report(results: list[dict]) -> str:
    gib = 2**30
    stages = [s for s in (*STAGES, "DAG (first task to last)") if s in results[0]["stages"]]
    head = "| stage | " + " | ".join(f"{r['customers']:,} customers" for r in results) + " |"
    lines = [head, "|---|" + "---:|" * len(results)]
    for stage in stages:
        cells = []
        for r in results:
            seconds = r["stages"].get(stage, float("nan"))
            rows = r["landing_rows"] if stage == "ingest" else r["raw_rows"]
            cells.append(f"{seconds:,.1f} s ({rows / seconds:,.0f} rows/s)")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    lines.append(
        "| `crmguard run` wall | " + " | ".join(f"{r['run_wall_s']:,.1f} s" for r in results) + " |"
    )
    lines.append(
        "| peak RSS, process tree / largest process | "
        + " | ".join(
            f"{r['peak_rss_total'] / gib:.2f} / {r['peak_rss_single'] / gib:.2f} GiB "
            f"({r['peak_rss_single_name']})"
            for r in results
        )
        + " |"
    )
    lines.append(
        "| ingest / DuckDB read_csv → Parquet | "
        + " | ".join(
            f"{r['duckdb_s'] / r['stages']['ingest']:.0%} ({r['duckdb_s']:.1f} s bare)"
            for r in results
        )
        + " |"
    )
    lines.append(
        "| protect / plain Spark rewrite | "
        + " | ".join(
            f"{r['plain_rewrite_s'] / r['stages']['protect']:.0%} "
            f"({r['plain_rewrite_s']:.1f} s bare)"
            for r in results
        )
        + " |"
    )
    growth = []
    for a, b in itertools.pairwise(results):
        n1, n2 = a["customers"], b["customers"]
        cells = [
            f"{stage} {exponent(a['stages'][stage], b['stages'][stage], n1, n2):.2f}"
            for stage in stages
            if stage in a["stages"] and stage in b["stages"]
        ]
        growth.append(f"- {a['customers']:,} → {b['customers']:,}: " + ", ".join(cells))
    data = "; ".join(
        f"{r['customers']:,} customers: {r['landing_rows']:,} landing records "
        f"({r['landing_mib']:,.0f} MiB, generated in {r['generate_s']:.0f} s), "
        f"{r['raw_rows']:,} raw rows"
        for r in results
    )
    load = os.getloadavg()
    return f"""
`crmguard generate --customers N --seed {DEMO_SEED} --violations all` (the demo's batch), then
`crmguard run` (the real DAG through `airflow dags test`: ingest, classify, protect, dbt build,
validate, publish, report) in a fresh home each, after install. Stage seconds are the run's
own task timings (Airflow metadata DB: first start to last end of the stage's tasks); rows/s
is over the landing records (ingest) or the raw rows (other stages). Baselines are measured
in the same run on the same files.

Data: {data}.

{chr(10).join(lines)}

Growth exponent per stage (log t2/t1 over log n2/n1; 1.0 is linear):
{chr(10).join(growth) if growth else "- (one size only)"}

Machine load (1/5/15 min) at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (2 cores,
shared: absolute seconds move with the load, ratios measured in the same run less so).
"""


def main() -> None:
    results = [run_size(n) for n in sizes()]
    body = report(results)
    write_section("end-to-end", body)
    print(body)


if __name__ == "__main__":
    main()
