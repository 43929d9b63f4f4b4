"""Benchmark: classification quality on the labelled set and speed on a 1,000,000 x 20 Parquet
table.

Speed is compared, in the same run, with presidio-structured's PandasAnalysisBuilder given our
analyzer (same recognizers) and the same sample size. Writes docs/benchmarks.md § classification.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import yaml

from classification.catalog import classify_paths
from classification.engine import get_analyzer
from classification.policy import load_policy
from classification.quality import score_catalog
from classification.recognizers.cn_resident_id import gb11643_check_char
from classification.settings import classification_settings
from crmguard.benchmarks import write_section

ROWS = 1_000_000
EVAL = Path(__file__).parents[1] / "classification" / "eval"


def valid_resident_ids(n: int) -> str:
    """A DuckDB list literal of n checksum-valid resident IDs."""
    rng = random.Random(11)
    ids = []
    for _ in range(n):
        s = f"110105{rng.randint(1950, 2005)}0{rng.randint(1, 9)}1{rng.randint(0, 8)}"
        s += f"{rng.randint(0, 999):03d}"
        ids.append(s + gb11643_check_char(s))
    return "[" + ", ".join(f"'{i}'" for i in ids) + "]"


def build_table(path: Path) -> None:
    """20 columns, generated inside DuckDB (fast): PII-shaped and decoy columns."""
    VALID_IDS = valid_resident_ids(50)
    con = duckdb.connect()
    con.execute(f"""
        copy (
          select
            'C' || lpad(i::varchar, 8, '0') as customer_id,
            '13' || (i % 10)::varchar || lpad((hash(i) % 100000000)::varchar, 8, '0') as col_01,
            'user' || i::varchar || '@example.com' as email,
            {VALID_IDS}[1 + i % 50] as sfzh,
            (hash(i) % 10000000000000000)::varchar as rand16,
            lpad((hash(i + 7) % 1000000000000)::varchar, 12, '0') as code12,
            ['张伟', '王芳', '李娜', '刘洋'][1 + i % 4] as xm,
            ['北京市朝阳区建国路88号', '上海市浦东新区世纪大道100号'][1 + i % 2] as address,
            ['gold', 'silver', 'bronze'][1 + i % 3] as member_tier,
            (i % 1000)::decimal(18, 2) as amount,
            date '2020-01-01' + (i % 1000)::integer as created_on,
            (i % 5 + 1)::bigint as rating,
            ['已婚', '未婚'][1 + i % 2] as marital_status,
            printf('%.5f,%.5f', 22 + (i % 997) / 100.0, 110 + (i % 991) / 100.0) as gps,
            '192.168.' || (i % 255)::varchar || '.' || (i % 250 + 1)::varchar as ip,
            ['cn-north-1', 'cn-east-2'][1 + i % 2] as storage_region,
            'DD' || i::varchar as ddh,
            ['物流很快', '请回电 13812345678', '服务不错，下次还来'][1 + i % 3] as remark,
            (i % 2 = 0) as active,
            md5(i::varchar) as evidence_hash
          from range({ROWS}) t(i)
        ) to '{path}' (format parquet)
    """)
    con.close()


def main() -> int:
    policy = load_policy("seed")
    labels = yaml.safe_load((EVAL / "labels.yaml").read_text(encoding="utf-8"))
    q = score_catalog(
        classify_paths([str(EVAL / f"{t}.csv") for t in labels], "seed"), labels, policy
    )
    get_analyzer()  # engine start-up is a one-off per process, reported separately
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "wide.parquet"
        build_table(table)
        t0 = time.perf_counter()
        catalog = classify_paths([str(table)], "seed")
        ours = time.perf_counter() - t0

        import pandas as pd
        from presidio_structured import PandasAnalysisBuilder

        n = classification_settings().sample_size
        t0 = time.perf_counter()
        con = duckdb.connect()
        df: pd.DataFrame = (
            con.execute(
                f"select * from read_parquet('{table}') "
                f"using sample reservoir({n} rows) repeatable (1)"
            )
            .df()
            .astype(str)
        )
        con.close()
        PandasAnalysisBuilder(analyzer=get_analyzer()).generate_analysis(df, language="zh")
        theirs = time.perf_counter() - t0
    cols = catalog["tables"]["wide"]
    decisions = ", ".join(f"{c}={e['entity']}" for c, e in cols.items())
    md = f"""
Quality on the labelled set (`tests/classification/eval/`, {q["columns"]} columns, seed profile):

| metric | value | target |
|---|---|---|
| entity accuracy | {q["entity_accuracy"]:.1%} | >= 97% |
| C1 column recall | {q["c1_recall"]:.1%} ({q["c1_columns"]} C1 columns) | 100% |
| false alarms on non-personal columns | {q["false_alarm_rate"]:.1%} \
({q["non_personal_columns"]} columns) | <= 5% |

Misses: {"; ".join(q["misses"]) or "none"}.

Speed: {ROWS:,} rows x {len(cols)} columns Parquet, sample {n} values/column:

| engine | seconds |
|---|---|
| `classify_paths` (DuckDB sample, prefilter, Presidio batches, lexicon) | {ours:.2f} |
| presidio-structured `PandasAnalysisBuilder` (our analyzer, same {n}-row sample) | {theirs:.2f} |
| ratio (structured / ours) | {theirs / ours:.1f}x |

Decisions on the wide table: {decisions}.
"""
    write_section("classification", md)
    print(md)
    return 0 if ours <= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
