"""The dbt macro ``rule_text`` computes, on DuckDB and on Spark, exactly ``crmguard.rule_text.fold``
for every BMP character: the SQL is compiled by the real dbt for each target and run on the
real engine, so the two engines (and the Python reference the generator uses) cannot drift."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dbt_harness import DbtBuild, dbt_args

from crmguard import rule_text

pytestmark = pytest.mark.dbt

# every BMP character but the surrogates, and its comparison form, in each engine's dialect
ALL_CHARACTERS = """
{% if target.type == 'spark' %}
select cast(id as int) as code_point, {{ rule_text('c') }} as folded
from (
    select id, decode(unhex(lpad(hex(id), 4, '0')), 'UTF-16BE') as c
    from range(1, 65536)
    where id < 55296 or id > 57343
) as characters
{% else %}
select cast(i as integer) as code_point, {{ rule_text('c') }} as folded
from (
    select i, chr(cast(i as integer)) as c
    from range(1, 65536) as t(i)
    where i < 55296 or i > 57343
) as characters
{% endif %}
"""


def _expected() -> dict[int, str]:
    return {
        point: rule_text.fold(chr(point))
        for point in range(1, 0x10000)
        if not 0xD800 <= point < 0xE000
    }


def _compiled(build: DbtBuild, target: str) -> str:
    env = {**os.environ, "CRMGUARD_HOME": str(build.home), "PYSPARK_PYTHON": sys.executable}
    args = dbt_args(
        "compile", build.project, build.target.parent / f"inline-{target}",
        "--target", target, "--inline", ALL_CHARACTERS, "--output", "json", "--quiet",
    )  # fmt: skip
    dbt = Path(sys.executable).with_name("dbt")
    proc = subprocess.run([str(dbt), *args], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout[proc.stdout.index("{") :])["compiled"]


def _mismatches(got: dict[int, str], want: dict[int, str]) -> list[str]:
    return [f"U+{p:04X}: {got.get(p)!r} != {w!r}" for p, w in want.items() if got.get(p) != w]


def test_duckdb_rule_text_equals_the_python_fold_for_every_bmp_character(
    duckdb_build: DbtBuild,
) -> None:
    sql = _compiled(duckdb_build, "duckdb")
    with duckdb.connect() as con:
        got = dict(con.execute(sql).fetchall())
    want = _expected()
    assert len(got) == len(want)
    assert _mismatches(got, want)[:20] == []
    # the guard does not hide the rare stage: a Kangxi radical and a compatibility ideograph
    assert got[0x2F00] == "一" and got[0xF967] == "不" and got[0xFF21] == "a"


@pytest.mark.spark
def test_spark_rule_text_equals_the_python_fold_for_every_bmp_character(
    duckdb_build: DbtBuild, spark
) -> None:
    sql = _compiled(duckdb_build, "spark")
    got = {row.code_point: row.folded for row in spark.sql(sql).collect()}
    want = _expected()
    assert len(got) == len(want)
    assert _mismatches(got, want)[:20] == []
