"""Running the crm_governance DAG: `crmguard run`, batch resolution and task error policy.

`crmguard run --landing DIR --batch-date D` runs the real DAG through `airflow dags test`
against a project-local, git-ignored AIRFLOW_HOME with SQLite: this is how a user points CRM
Guard at their own exports. The DAG itself stays thin and calls the helpers here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from crmguard.batch_date import BatchDateError, batch_date_arg, canonical_batch_date
from crmguard.paths import ensure_private_dir, layout, owner_only_umask
from crmguard.warehouse import DUCKDB_WRITER_POOL

DAG_ID = "crm_governance"


class DataError(Exception):
    """Input data breaks a platform guarantee; retrying cannot help (fails the task at once)."""


def resolve_batch(params: dict, ds: str | None) -> dict:
    """Landing root and batch date for a run: DAG params win, else the default landing and ds."""
    batch_date = params.get("batch_date") or ds
    if not batch_date:
        raise DataError("no batch date: pass params.batch_date or run with a logical date")
    try:
        batch_date = canonical_batch_date(batch_date)
    except BatchDateError as exc:
        raise DataError(str(exc)) from None
    landing = Path(params.get("landing") or layout().landing).expanduser().resolve()
    folder = landing / batch_date
    if not folder.is_dir():
        raise DataError(f"{folder}: no landing folder for batch {batch_date}")
    policy = params.get("policy") or "seed"
    return {"landing": str(landing), "batch_date": batch_date, "policy": policy}


@contextlib.contextmanager
def fail_on_data_error() -> Iterator[None]:
    """Turn deterministic data errors into AirflowFailException (no pointless retries)."""
    from airflow.sdk.exceptions import AirflowFailException

    from crmguard.ingest import ReconciliationError

    try:
        yield
    except (DataError, ReconciliationError, ValueError) as exc:
        raise AirflowFailException(str(exc)) from exc


# -- running the DAG locally ---------------------------------------------------------------------


def airflow_env() -> dict[str, str]:
    """Environment for the project-local Airflow (SQLite, no examples, our DAGs, Spark local)."""
    lay = layout()
    venv_bin = Path(sys.executable).parent
    pyspark_bin = _pyspark_home() / "bin"
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(lay.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(lay.dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW_CONN_SPARK_DEFAULT": env.get(
                "AIRFLOW_CONN_SPARK_DEFAULT", json.dumps({"conn_type": "spark", "host": "local[2]"})
            ),
            "CRMGUARD_HOME": str(lay.home),
            # cosmos' partial-parse cache per data root (its default /tmp/cosmos is shared by
            # every checkout and user on the machine)
            "AIRFLOW__COSMOS__CACHE_DIR": str(lay.airflow_home / "cosmos_cache"),
            "PYSPARK_PYTHON": sys.executable,
            # customer-data pipelines do not phone home: cosmos, Airflow and dbt usage metrics off
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
            "DO_NOT_TRACK": "1",
            "SCARF_NO_ANALYTICS": "true",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "PATH": os.pathsep.join([str(venv_bin), str(pyspark_bin), env.get("PATH", "")]),
        }
    )
    return env


def _pyspark_home() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    return Path(spec.origin).parent if spec and spec.origin else Path()


def _airflow(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    airflow = shutil.which("airflow", path=env["PATH"]) or "airflow"
    return subprocess.run([airflow, *args], env=env, check=False, **kw)


def prepare_airflow(env: dict[str, str]) -> None:
    """Migrate the SQLite metadata DB and create the DuckDB writer pool, once per home."""
    home = ensure_private_dir(Path(env["AIRFLOW_HOME"]))
    marker = home / ".crmguard-migrated"
    # the marker records both steps: an Airflow CLI call costs seconds, so a ready home takes none
    ready = f"migrated, pool {DUCKDB_WRITER_POOL}=1\n"
    if marker.is_file() and marker.read_text() == ready:
        return
    print(f"[crmguard] initialising Airflow metadata DB in {home}", flush=True)
    done = _airflow(["db", "migrate"], env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{done.stdout}\n{done.stderr}")
    done = _airflow(
        ["pools", "set", DUCKDB_WRITER_POOL, "1", "DuckDB files take one writer at a time"],
        env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"airflow pools set failed:\n{done.stdout}\n{done.stderr}")
    marker.write_text(ready)


def dbt_manifest_path() -> Path:
    return layout().dbt_project / "target" / "manifest.json"


def build_dbt_manifest(env: dict[str, str] | None = None) -> Path:
    """`dbt parse` into dbt_project/target/manifest.json, which cosmos renders the DAG from.

    Before any batch exists the staging YAML is a parse skeleton; the dbt tasks themselves
    re-parse with the batch's generated YAML.
    """
    from crmguard.dbt_meta import write_parse_skeleton

    env = env or airflow_env()
    project = layout().dbt_project
    write_parse_skeleton(project)
    stamp = project / "target" / ".crmguard-manifest.sha256"
    fingerprint = dbt_project_fingerprint(project, env)
    if dbt_manifest_path().is_file() and stamp.is_file() and stamp.read_text() == fingerprint:
        return dbt_manifest_path()  # nothing dbt reads has changed: the manifest is current
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run(
        [str(dbt), "parse", "--project-dir", str(project), "--profiles-dir", str(project),
         "--vars", "{batch_date: '1970-01-01'}", "--target-path", str(project / "target"),
         "--log-path", str(project / "logs"), "--quiet"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{done.stdout}\n{done.stderr}")
    stamp.write_text(fingerprint)
    return dbt_manifest_path()


# dbt's own output folders: never an input of a parse
_DBT_OUTPUTS = ("target", "logs", "dbt_packages")


def dbt_project_fingerprint(project: Path, env: dict[str, str]) -> str:
    """Hash of everything a `dbt parse` of ``project`` reads: every project file (models,
    macros, YAML, seeds, profiles), the dbt version and the environment the profile uses."""
    import hashlib
    from importlib.metadata import version

    digest = hashlib.sha256()
    for path in sorted(project.rglob("*")):
        rel = path.relative_to(project)
        if rel.parts[0] in _DBT_OUTPUTS or not path.is_file():
            continue
        digest.update(f"{rel}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name in ("CRMGUARD_HOME", "CRMGUARD_DBT_TARGET"):
        digest.update(f"{name}={env.get(name, '')}\0".encode())
    digest.update(f"dbt-core={version('dbt-core')}".encode())
    return digest.hexdigest()


def run_dag(landing: Path, batch_date: str) -> int:
    """Run crm_governance for one batch via `airflow dags test`; returns the exit code.

    Preflight first (keyring, config, landing folder, Java): a problem is reported with its fix
    before any work is done. While the DAG runs, progress lines of long stages and task
    outcomes are echoed; the whole output goes to the run's log file.
    """
    from crmguard.preflight import PreflightError, preflight

    try:
        for line in preflight(landing, batch_date):
            print(f"[crmguard] preflight: {line}", flush=True)
    except PreflightError as exc:
        print(f"[crmguard] {exc}", file=sys.stderr, flush=True)
        return 2
    owner_only_umask()  # inherited by Airflow, dbt and spark-submit (crmguard.paths)
    env = airflow_env()
    prepare_airflow(env)
    build_dbt_manifest(env)
    conf = json.dumps({"landing": str(landing.resolve()), "batch_date": batch_date})
    started = time.monotonic()
    print(f"[crmguard] running DAG {DAG_ID} for batch {batch_date} on {landing}", flush=True)
    log = layout().airflow_home / "logs" / f"dags_test_{batch_date}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    returncode, output = _stream_airflow(
        ["dags", "test", DAG_ID, f"{batch_date}T00:00:00+00:00", "--conf", conf], env, log
    )
    state = _final_state(output)
    elapsed = time.monotonic() - started
    print(f"[crmguard] DAG run finished: state={state} in {elapsed:.0f}s (log: {log})", flush=True)
    if returncode != 0 or state != "success":
        print(_failure_excerpt(output), file=sys.stderr)
        return returncode or 1
    return 0


# what the CLI echoes of the DAG's output: progress lines of long stages, and each finished
# task with the state Airflow recorded for it just before ("new_state=…", then "end task")
_PROGRESS = "[progress]"
_STATE = re.compile(r"new_state=(\w+)")
_END_TASK = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")
# the fields Airflow's structured log appends to a line ("[logger.name] loc=file.py:12")
_LOG_FIELDS = re.compile(r"\s+\[[\w.]+\]\s+loc=\S+\s*$")


def _stream_airflow(args: list[str], env: dict[str, str], log: Path) -> tuple[int, str]:
    """Run an airflow command, echo the lines worth showing as they come, keep the whole output
    in ``log``; (exit code, output)."""
    airflow = shutil.which("airflow", path=env["PATH"]) or "airflow"
    kept: list[str] = []
    state = "?"
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [airflow, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, encoding="utf-8", errors="replace", bufsize=1,
        )  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            kept.append(line)
            if (found := _STATE.search(line)) is not None:
                state = found.group(1)
            elif (found := _END_TASK.search(line)) is not None:
                at = time.monotonic() - started
                print(f"[crmguard]   {at:5.0f}s {found.group(1)}: {state}", flush=True)
            elif _PROGRESS in line:
                text = _LOG_FIELDS.sub("", line[line.index(_PROGRESS) + len(_PROGRESS) + 1 :])
                print(f"[crmguard]   {text.rstrip()}", flush=True)
        returncode = proc.wait()
    return returncode, "".join(kept)


def _final_state(output: str) -> str:
    """The run state from Airflow's "DagRun Finished: ... state=…" line."""
    for line in reversed(output.splitlines()):
        if "DagRun Finished" in line:
            found = re.search(r"\bstate=(\w+)", line)
            return found.group(1) if found else "unknown"
    return "unknown"


def _failure_excerpt(output: str, lines: int = 40) -> str:
    keep = [ln for ln in output.splitlines() if "ERROR" in ln or "Error" in ln or "FAIL" in ln]
    return "\n".join(keep[-lines:]) or "\n".join(output.splitlines()[-lines:])


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run the crm_governance DAG on a landing folder (airflow dags test, local SQLite)",
    )
    p.add_argument("--landing", type=Path, default=None, help="landing root (default: landing/)")
    p.add_argument("--batch-date", type=batch_date_arg, required=True, help="batch date YYYY-MM-DD")
    p.set_defaults(func=lambda a: run_dag(a.landing or layout().landing, a.batch_date))
