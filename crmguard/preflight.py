"""Preflight of `crmguard run`: keyring, configuration, landing folder and Java, before any work.

A run that fails on a missing keyring after ingesting and classifying a batch has wasted minutes
and tells the user nothing they could have fixed first. Every check here is cheap (no engine is
started) and each problem names the fix, e.g. "run `crmguard keys init`". All problems are
reported together, so one attempt shows everything that is wrong.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# every configuration file and the loader that validates it (module, function); a file in
# config/ that no loader reads is itself a problem (nothing would ever check it)
CONFIG_LOADERS: dict[str, tuple[str, str]] = {
    "landing_contract.yaml": ("crmguard.config", "landing_contract"),
    "organisation.yaml": ("crmguard.config", "organisation"),
    "ingestion.yaml": ("crmguard.config", "ingestion_policy"),
    "field_purposes.yaml": ("crmguard.config", "field_purposes"),
    "calendar.yaml": ("crmguard.config", "working_calendar"),
    "rules.yaml": ("crmguard.config", "compliance_rules"),
    "ingest_formats.yaml": ("crmguard.ingest.formats", "ingest_formats"),
    "consent_channels.yaml": ("crmguard.dbt_meta", "consent_channels"),
    "protection.yaml": ("spark_jobs.protect.settings", "protection_settings"),
    "classification.yaml": ("classification.settings", "classification_settings"),
    "overrides.yaml": ("classification.catalog", "load_overrides"),
    "demo_data.yaml": ("crmguard.demo_data.profile", "demo_profile"),
    "rights.yaml": ("crmguard.rights.policy", "rights_policy"),
}
# pyspark 4 runs on Java 17 or later
MIN_JAVA = 17
LANDING_SUFFIXES = (".csv", ".jsonl")


@dataclass(frozen=True)
class Problem:
    """One thing that would make the run fail, and what to do about it."""

    check: str
    detail: str
    fix: str

    def __str__(self) -> str:
        return f"{self.check}: {self.detail}\n    fix: {self.fix}"


class PreflightError(RuntimeError):
    """The run cannot start; the message lists every problem with its fix."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = [f"preflight found {len(problems)} problem(s); nothing was run:"]
        lines += [f"  {p}" for p in problems]
        super().__init__("\n".join(lines))


def check_keyring() -> tuple[str, list[Problem]]:
    """The key file exists, parses and has its active version (never prints key bytes)."""
    from crmguard import key_store

    path = key_store.key_file()
    try:
        version = key_store.key_version()
    except key_store.KeyringError as exc:
        if not path.exists():
            fix = (
                f"run `crmguard keys init` (development keyring at {path}) or set "
                f"{key_store.KEY_FILE_ENV} to your key file"
            )
        else:
            fix = f"restore {path} from your key backup; a new key cannot read earlier tokens"
        return "", [Problem("keyring", str(exc), fix)]
    return f"keyring {path} (key version {version.version})", []


def check_config() -> tuple[str, list[Problem]]:
    """Every config file validates through its loader; every policy profile loads."""
    from classification.policy import available_profiles, load_policy
    from crmguard.config import config_path

    problems = []
    present = {p.name for p in config_path(".").glob("*.yaml")}
    for name in sorted(present - set(CONFIG_LOADERS)):
        problems.append(
            Problem(
                "config",
                f"{config_path(name)}: no loader validates this file",
                "add its loader to crmguard/preflight.py CONFIG_LOADERS or remove the file",
            )
        )
    for name, (module, function) in CONFIG_LOADERS.items():
        try:
            getattr(importlib.import_module(module), function)()
        except Exception as exc:  # a ConfigError names the file; anything else is still fatal
            problems.append(Problem("config", _first_lines(exc), f"correct config/{name}"))
    profiles = available_profiles()
    for profile in profiles:
        try:
            load_policy(profile)
        except Exception as exc:
            problems.append(
                Problem("config", _first_lines(exc), f"correct config/policies/{profile}.yaml")
            )
    summary = f"{len(CONFIG_LOADERS)} config files and {len(profiles)} policy profiles valid"
    return summary, problems


def check_landing(landing: Path, batch_date: str) -> tuple[str, list[Problem]]:
    """The batch folder exists and holds at least one export."""
    import datetime as dt

    try:
        dt.date.fromisoformat(batch_date)
    except ValueError:
        bad = Problem("landing", f"batch date {batch_date!r}", "pass --batch-date YYYY-MM-DD")
        return "", [bad]
    folder = landing.expanduser().resolve() / batch_date
    if not folder.is_dir():
        days = sorted(p.name for p in landing.glob("????-??-??") if p.is_dir())[-3:]
        seen = f" (batches there: {', '.join(days)})" if days else ""
        return "", [
            Problem(
                "landing",
                f"{folder}: no landing folder for batch {batch_date}{seen}",
                "pass --landing DIR (the folder holding <YYYY-MM-DD>/) or generate demo exports "
                f"with `crmguard generate --out {landing} --batch-date {batch_date}`",
            )
        ]
    exports = [p for p in folder.iterdir() if p.suffix in LANDING_SUFFIXES]
    if not exports:
        return "", [
            Problem(
                "landing",
                f"{folder}: no .csv or .jsonl export in the batch folder",
                "deliver the CRM exports as <source>.csv / <source>.jsonl (landing contract)",
            )
        ]
    return f"landing {folder} ({len(exports)} exports)", []


def java_executable() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def check_java() -> tuple[str, list[Problem]]:
    """A Java runtime Spark can use (the protect job and the vault checks run on Spark)."""
    java = java_executable()
    fix = f"install a Java {MIN_JAVA}+ runtime (Debian: apt-get install openjdk-17-jre-headless)"
    if java is None:
        return "", [Problem("java", "no java on PATH and JAVA_HOME is not set", fix)]
    try:
        done = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "", [Problem("java", f"{java} -version failed ({exc})", fix)]
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if done.returncode != 0 or not found:
        return "", [Problem("java", f"{java} -version: {_first_lines(done.stderr)}", fix)]
    major = int(found.group(1))
    major = int(found.group(2)) if major == 1 and found.group(2) else major  # "1.8" is Java 8
    if major < MIN_JAVA:
        return "", [Problem("java", f"{java} is Java {major}; Spark needs {MIN_JAVA}+", fix)]
    return f"java {major} ({java})", []


def preflight(landing: Path, batch_date: str) -> list[str]:
    """Run every check; the one-line summaries, or :class:`PreflightError` with every problem."""
    summaries, problems = [], []
    for outcome in (
        check_keyring(),
        check_config(),
        check_landing(landing, batch_date),
        check_java(),
    ):
        summary, found = outcome
        problems += found
        if summary:
            summaries.append(summary)
    if problems:
        raise PreflightError(problems)
    return summaries


def _first_lines(exc: object, lines: int = 4) -> str:
    return "\n      ".join(str(exc).strip().splitlines()[:lines])
