"""`crmguard airflow` (what `make airflow` runs): Airflow's own UI on the project's DAGs."""

from __future__ import annotations

import argparse
import os

from crmguard.pipeline import airflow_env, build_dbt_manifest, prepare_airflow


def standalone() -> int:
    """Run `airflow standalone` bound to 127.0.0.1 with the project-local AIRFLOW_HOME."""
    env = airflow_env()
    env.setdefault("AIRFLOW__API__PORT", "8080")
    prepare_airflow(env)
    build_dbt_manifest(env)
    print(
        f"[crmguard] Airflow UI on http://127.0.0.1:{env['AIRFLOW__API__PORT']} "
        f"(AIRFLOW_HOME={env['AIRFLOW_HOME']}; the admin password is printed below)",
        flush=True,
    )
    os.execvpe("airflow", ["airflow", "standalone"], env)
    return 0  # not reached


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("airflow", help="start Airflow's UI (airflow standalone) on 127.0.0.1")
    p.set_defaults(func=lambda a: standalone())
