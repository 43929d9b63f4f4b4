"""Benchmark of the protect job on the demo CRM tables of N customers (default 1,000,000).

The data are the real landing batch: ``crmguard generate`` → ``crmguard ingest`` →
``crmguard classify``, all 13 sources (about 17.7M rows at 1M customers, 10M of them marketing
messages whose free text is scrubbed). Measured in one Spark session, ``REPS`` rounds of:

- baseline: a plain Parquet→Parquet rewrite of every raw table to the three outputs
  (protected, restricted, vault), same session, same Parquet codec;
- the protect job over the same batch (``spark_jobs.protect.main.run``).

Round 1 starts a cold JVM and creates every customer's salt; later rounds are the steady state
of a daily batch (warm JIT, salts exist). All rounds are reported; the target is judged on the
median of the steady rounds. Also measured in the run: presidio-structured's anonymizer on the
same customer columns (a sample), the vault ciphers, and free-text scrubbing on its own.
Environment: CRMGUARD_BENCH_CUSTOMERS, CRMGUARD_BENCH_REPS, CRMGUARD_BENCH_STRUCTURED_SAMPLE,
CRMGUARD_BENCH_FREE_TEXT. Writes the ``protection`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N = int(os.environ.get("CRMGUARD_BENCH_CUSTOMERS", "1000000"))
REPS = max(2, int(os.environ.get("CRMGUARD_BENCH_REPS", "3")))
SAMPLE = int(os.environ.get("CRMGUARD_BENCH_STRUCTURED_SAMPLE", "2000"))
ANALYSED = int(os.environ.get("CRMGUARD_BENCH_STRUCTURED_ANALYSED", "300"))
FREE_TEXT_ROWS = int(os.environ.get("CRMGUARD_BENCH_FREE_TEXT", "20000"))
# sources left out of the batch (their landing files are removed before ingest), e.g.
# marketing_messages at 1M customers: `crmguard ingest` holds a file in memory and its 10M-row
# file needs more than this machine's 24 GiB (docs/benchmarks.md says what was left out)
SKIPPED = [s for s in os.environ.get("CRMGUARD_BENCH_SKIP_SOURCES", "").split(",") if s]
HOME = Path(tempfile.mkdtemp(prefix="crmguard-bench-"))
os.environ["CRMGUARD_HOME"] = str(HOME)
os.environ.pop("CRMGUARD_KEY_FILE", None)

import pyarrow.parquet as pq  # noqa: E402
from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from crmguard import key_store  # noqa: E402
from crmguard.benchmarks import write_section  # noqa: E402
from crmguard.paths import layout  # noqa: E402
from spark_jobs.protect import io, main  # noqa: E402
from spark_jobs.protect.settings import protection_settings  # noqa: E402
from spark_jobs.session import build_session  # noqa: E402

ZONES = ("protected", "restricted", "vault")


def crmguard(*args: str) -> str:
    """Run one ``crmguard`` command in a subprocess (as a user would); its stdout."""
    cmd = [sys.executable, "-m", "crmguard.cli", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:1])} failed ({done.returncode}):\n{done.stdout}\n"
                         f"{done.stderr[-4000:]}")  # fmt: skip
    return done.stdout


def prepare() -> tuple[str, dict[str, float]]:
    """Generate, ingest and classify one batch of N customers; (batch date, timings)."""
    landing = HOME / "landing"
    timings = {}
    for step, args in (
        ("generate", ("generate", "--out", str(landing), "--customers", str(N), "--seed", "42")),
        ("ingest", None),
        ("classify", None),
    ):
        started = time.perf_counter()
        if step == "generate":
            crmguard(*args)
            batch = next(p.name for p in landing.iterdir() if p.is_dir())
            for source in SKIPPED:
                for path in (landing / batch).glob(f"{source}.*"):
                    path.unlink()
        elif step == "ingest":
            crmguard("ingest", "--landing", str(landing), "--batch-date", batch)
        else:
            crmguard("classify", "--batch-date", batch)
        timings[step] = time.perf_counter() - started
    shutil.rmtree(landing)
    return batch, timings


def output_zones(batch: str, sources: list[str], catalog: dict) -> dict[str, tuple[str, ...]]:
    """The zones the job writes each table to: protected and restricted, plus the vault for a
    table with C1 values and a customer key (the baseline writes exactly these)."""
    from classification.policy import load_policy
    from spark_jobs.protect.transforms import plan_table

    policy = load_policy("seed")
    zones = {}
    for source in sources:
        columns = pq.read_schema(next(layout().raw_partition(source, batch).glob("*.parquet")))
        plan = plan_table(columns.names, catalog["tables"].get(source, {}), policy)
        vaulted = bool(plan.vault_columns and plan.customer_column)
        zones[source] = ZONES if vaulted else ZONES[:2]
    return zones


def plain_rewrite(
    spark: SparkSession, batch: str, zones: dict[str, tuple[str, ...]]
) -> dict[str, float]:
    """Seconds per table of reading its raw partition and writing it, unchanged, to each zone
    the job writes it to."""
    seconds = {}
    for source, targets in zones.items():
        started = time.perf_counter()
        raw = io.read_raw(spark, source, batch)
        for zone in targets:
            raw.write.mode("overwrite").parquet(str(HOME / "plain" / zone / source))
        seconds[source] = time.perf_counter() - started
    return seconds


def free_text_tables(catalog: dict) -> set[str]:
    return {
        table
        for table, columns in catalog["tables"].items()
        if any(c.get("entity") == "FREE_TEXT_PII" for c in columns.values())
    }


def scrub_throughput(spark: SparkSession, texts: DataFrame) -> tuple[float, float, float]:
    """(MB/s, messages/s, share of prefilter candidates) of scrubbing ``texts.content``."""
    from classification.policy import load_policy
    from spark_jobs.protect.free_text import scrub_free_text

    settings = protection_settings().free_text
    rows = texts.collect()
    frame = spark.createDataFrame([(r[0],) for r in rows], "content string")
    megabytes = sum(len((r[0] or "").encode()) for r in rows) / 2**20
    candidates = frame.where(F.col("content").rlike(settings.prefilter_regex)).count()
    started = time.perf_counter()
    scrubbed = scrub_free_text(
        frame, ["content"], main.scrub_entities(load_policy("seed")), settings
    ).count()
    seconds = time.perf_counter() - started
    assert scrubbed == len(rows)
    return megabytes / seconds, len(rows) / seconds, candidates / max(len(rows), 1)


def structured_baselines(spark: SparkSession, batch: str, catalog: dict) -> dict[str, float]:
    """rows/s of presidio-structured on the customer columns the job protects (hash operator).

    ``documented``: its documented flow, ``PandasAnalysisBuilder().generate_analysis(df)`` then
    ``StructuredEngine.anonymize`` (the analysis runs Presidio on every cell; here with our zh
    analyzer), on ANALYSED rows. ``anonymizer``: the anonymizer alone with the entities given
    from our catalog, on SAMPLE rows."""
    from presidio_anonymizer.entities import OperatorConfig
    from presidio_structured import PandasAnalysisBuilder, StructuredAnalysis, StructuredEngine

    from classification.engine import get_analyzer

    columns = {
        c: e["entity"]
        for c, e in catalog["tables"]["customers"].items()
        if e.get("protection") not in ("pass", "drop", None)
    }
    rows = io.read_raw(spark, "customers", batch).select(*columns).limit(max(SAMPLE, ANALYSED))
    sample = rows.toPandas().astype(str)
    hashed = OperatorConfig("hash", {"hash_type": "sha256"})
    rates = {"columns": float(len(columns))}
    started = time.perf_counter()
    given = StructuredAnalysis(entity_mapping=columns)
    StructuredEngine().anonymize(sample.head(SAMPLE).copy(), given, operators={"DEFAULT": hashed})
    rates["anonymizer"] = min(SAMPLE, len(sample)) / (time.perf_counter() - started)
    analysed = sample.head(ANALYSED).copy()
    builder = PandasAnalysisBuilder(analyzer=get_analyzer())
    started = time.perf_counter()
    analysis = builder.generate_analysis(analysed, language="zh")
    StructuredEngine().anonymize(analysed, analysis, operators={"DEFAULT": hashed})
    rates["documented"] = len(analysed) / (time.perf_counter() - started)
    return rates


def cipher_rates(spark: SparkSession, batch: str) -> dict[str, float]:
    """rows/s of each vault cipher on the customers' C1 values as one JSON plaintext per row
    under a 32-byte per-row key (as the job builds them); read + encrypt, no write."""
    from spark_jobs.protect.sm4 import sm4_gcm_encrypt

    scratch = HOME / "cipher_in"
    io.read_raw(spark, "customers", batch).select(
        F.to_json(F.struct("id_number", "mobile", "gps_location")).alias("plaintext"),
        F.unhex(F.sha2(F.col("customer_id").cast("binary"), 256)).alias("data_key"),
    ).write.mode("overwrite").parquet(str(scratch))
    rows = spark.read.parquet(str(scratch))
    total = rows.count()
    rates = {}
    for cipher, encrypted in (
        ("AES-256-GCM native", F.aes_encrypt("plaintext", "data_key", F.lit("GCM"))),
        (
            "SM4-GCM Arrow UDF",
            sm4_gcm_encrypt(F.col("plaintext").cast("binary"), F.substring("data_key", 1, 16)),
        ),
    ):
        started = time.perf_counter()
        rows.select(encrypted.alias("c")).write.format("noop").mode("overwrite").save()
        rates[cipher] = total / (time.perf_counter() - started)
    return rates


def main_bench() -> None:
    batch, prep = prepare()
    key_store.ensure_dev_keyring()
    lay = layout()
    catalog = io.read_catalog()
    spark = build_session("crmguard-bench")
    sources = io.raw_sources(batch)
    zones = output_zones(batch, sources, catalog)
    raw_rows = {s: io.read_raw(spark, s, batch).count() for s in sources}
    raw_mib = sum(p.stat().st_size for p in lay.raw.rglob("*.parquet")) / 2**20
    rounds = []
    for _ in range(REPS):
        plain = plain_rewrite(spark, batch, zones)
        summary = main.run(batch, "seed", spark=spark)
        assert summary["rows_in"] == sum(raw_rows.values())
        rounds.append({"plain": plain, "protect": summary})
        print(f"round {len(rounds)}: plain {sum(plain.values()):.1f}s protect "
              f"{summary['elapsed_s']:.1f}s", file=sys.stderr)  # fmt: skip

    structured = structured_baselines(spark, batch, catalog)
    rates = cipher_rates(spark, batch)
    text_source = next(s for s in ("marketing_messages", "reviews", "complaints") if s in sources)
    texts = io.read_raw(spark, text_source, batch).select("content").limit(FREE_TEXT_ROWS)
    demo_text = scrub_throughput(spark, texts)
    heavy = spark.createDataFrame(
        [
            (f"客户{i}来电，手机1380013{i % 10000:04d}，要求改地址" if i % 2 else f"第{i}单门口",)
            for i in range(4000)
        ],
        "content string",
    )
    heavy_text = scrub_throughput(spark, heavy)
    spark.stop()

    total_rows = sum(raw_rows.values())
    text_tables = free_text_tables(catalog)
    no_text = [s for s in sources if s not in text_tables]
    steady = rounds[1:]

    def ratio(r: dict, tables: list[str] | None = None) -> float:
        if tables is None:
            return sum(r["plain"].values()) / r["protect"]["elapsed_s"]
        return sum(r["plain"][t] for t in tables) / sum(r["protect"]["table_s"][t] for t in tables)

    median_all = statistics.median(ratio(r) for r in steady)
    median_structured = statistics.median(ratio(r, no_text) for r in steady)
    median_protect = statistics.median(r["protect"]["elapsed_s"] for r in steady)
    spark_rows_s = total_rows / median_protect
    customers_rows_s = raw_rows["customers"] / statistics.median(
        r["protect"]["table_s"]["customers"] for r in steady
    )
    lines = []
    for i, r in enumerate(rounds, 1):
        plain_s, protect_s = sum(r["plain"].values()), r["protect"]["elapsed_s"]
        label = "1 (cold JVM, new salts)" if i == 1 else f"{i} (steady)"
        lines.append(
            f"| {label} | {plain_s:.1f} | {protect_s:.1f} | {total_rows / protect_s:,.0f} "
            f"| {ratio(r):.0%} | {ratio(r, no_text):.0%} |"
        )
    per_table = []
    for source in sorted(sources, key=lambda s: -raw_rows[s]):
        plain_t = statistics.median(r["plain"][source] for r in steady)
        protect_t = statistics.median(r["protect"]["table_s"][source] for r in steady)
        kind = "free text" if source in text_tables else "structured"
        per_table.append(
            f"| {source} | {kind} | {raw_rows[source]:,} | {plain_t:.2f} | {protect_t:.2f} "
            f"| {plain_t / protect_t:.0%} |"
        )
    stages = {
        k: statistics.median(r["protect"]["stage_s"][k] for r in steady)
        for k in rounds[0]["protect"]["stage_s"]
    }
    load = os.getloadavg()
    n_columns = int(structured["columns"])
    documented, anonymizer = structured["documented"], structured["anonymizer"]
    vs_documented = customers_rows_s / documented
    vs_anonymizer = customers_rows_s / anonymizer
    vaulted = sum(len(z) == 3 for z in zones.values())
    codec = protection_settings().spark.parquet_codec
    left_out = (
        f" Left out: {', '.join(SKIPPED)} (see the note below the tables)." if SKIPPED else ""
    )
    body = f"""
Data: the demo landing batch of {N:,} customers (`crmguard generate --seed 42`, then
`crmguard ingest` and `crmguard classify`).{left_out} {len(sources)} tables,
{total_rows:,} raw rows,
raw Parquet {raw_mib:,.0f} MiB; prepared in {prep["generate"]:.0f} s + {prep["ingest"]:.0f} s +
{prep["classify"]:.0f} s. The baseline rewrites each table unchanged to the zones the job writes
it to ({vaulted} tables also to the vault). Spark `local[*]`, codec {codec} for both runs,
seed policy, AES-256-GCM vault, {REPS} rounds in one session.

| round | plain rewrite (s) | protect job (s) | protect rows/s | protect / plain \
| structured tables only |
|---|---:|---:|---:|---:|---:|
{chr(10).join(lines)}

- protect throughput / plain rewrite, median of the steady rounds: **{median_all:.0%}** on the
  whole batch (free-text scrubbing included), **{median_structured:.0%}** on the
  {len(no_text)} tables without free text (target ≥ 40%)
- protect / presidio-structured on the same columns (the customers table, {n_columns}
  columns, protect at {customers_rows_s:,.0f} rows/s): **{vs_documented:,.0f}×** its
  documented flow (analysis + anonymize, {documented:,.1f} rows/s on {ANALYSED} rows),
  **{vs_anonymizer:,.1f}×** its anonymizer alone (entities given, {anonymizer:,.0f} rows/s on
  {SAMPLE:,} rows) (target ≥ 300×); the whole batch at {spark_rows_s:,.0f} rows/s is
  {spark_rows_s / documented:,.0f}× the documented flow
- free-text scrubbing alone (prefilter + Presidio): demo {text_source}.content {demo_text[0]:.2f}
  MB/s ({demo_text[1]:,.0f} values/s, {demo_text[2]:.0%} prefilter candidates, {FREE_TEXT_ROWS:,}
  values); candidate-heavy messages (half with a mobile number, all distinct)
  {heavy_text[0]:.3f} MB/s ({heavy_text[1]:,.0f} messages/s)
- vault cipher, customers' C1 values (read + encrypt, no write):
  {", ".join(f"{k} {v:,.0f} rows/s" for k, v in rates.items())}
- protect stages, steady median (s): {", ".join(f"{k} {v:.1f}" for k, v in stages.items())};
  vault entries per run {rounds[-1]["protect"]["vault_entries"]:,}
- machine load (1/5/15 min) at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}
  (2 cores; ratios are from one run, both sides in the same session)

Per table (median of the steady rounds; a table's protect time excludes the run's fixed
steps: key pads, quarantined keys):

| table | columns | raw rows | plain (s) | protect (s) | protect / plain |
|---|---|---:|---:|---:|---:|
{chr(10).join(per_table)}
"""
    if SKIPPED:
        body += f"""
Left out of this run: {", ".join(SKIPPED)}. `crmguard ingest` parses and casts a landing file in
memory; at 1M customers the 10M-row marketing_messages.csv (1.2 GB) grew the ingest process to
the machine's 24 GiB and the kernel killed it (OOM, 9.2M of 10M records cast). Streaming ingest
is open work; the whole batch with messages is measured at a scale that ingests (run with
CRMGUARD_BENCH_CUSTOMERS=100000).
"""
    # the 1M run owns "protection"; other scales (e.g. the whole batch at 100k) get their own
    write_section("protection" if N == 1_000_000 else f"protection-{N}", body)
    print(body)
    shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    main_bench()
