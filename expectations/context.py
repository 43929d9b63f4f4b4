"""The GX project of CRM Guard, built in code and idempotently on every validation.

A file context under ``<CRMGUARD_HOME>/gx`` (git-ignored: stored results are build output),
one pandas data source with a DataFrame asset per suite, and per suite a validation definition
and a checkpoint; the only Data Docs site writes to ``reports/data_docs``, built once per
validation run for that run's results (:func:`build_docs`).
Suites are code (expectations/suites): each run replaces the stored copy, so the files under
gx/ never drift from the code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.data_context.types.base import ProgressBarsConfig

from crmguard.paths import layout

PANDAS_SOURCE = "crmguard_pandas"
# the vault checks ran on a Spark data source until they moved to pandas; a home validated
# before still stores its definitions, which GX can no longer load
LEGACY_SPARK_SOURCE = "crmguard_spark"
DOCS_SITE = "crmguard_data_docs"
WHOLE = "whole_dataframe"
# result detail: counts only, never sample values (a failed C1 check must not copy the value
# it found into the results store or Data Docs)
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0}


def gx_root() -> Path:
    return layout().home / "gx"


def data_docs_dir() -> Path:
    return layout().reports / "data_docs"


def get_context() -> Any:
    """The file context, with Data Docs pointed at reports/data_docs and progress bars off."""
    context = gx.get_context(mode="file", project_root_dir=str(layout().home))
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(data_docs_dir()),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    sites = context.list_data_docs_sites()
    for name in list(sites):
        if name != DOCS_SITE:
            context.delete_data_docs_site(name)
    if DOCS_SITE not in sites:
        context.add_data_docs_site(site_name=DOCS_SITE, site_config=site)
    elif sites[DOCS_SITE] != site:
        context.update_data_docs_site(site_name=DOCS_SITE, site_config=site)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.variables.save()
    _drop_legacy_spark_source(context)
    return context


def _drop_legacy_spark_source(context: Any) -> None:
    """Remove the Spark data source and the definitions and checkpoints stored against it."""
    root = Path(context.root_directory)
    stale = [
        path.stem
        for path in (root / "validation_definitions").glob("*.json")
        if LEGACY_SPARK_SOURCE in path.read_text(encoding="utf-8")
    ]
    for name in stale:
        for folder in ("validation_definitions", "checkpoints"):
            (root / folder / f"{name}.json").unlink(missing_ok=True)
    if LEGACY_SPARK_SOURCE in context.data_sources.all():
        context.data_sources.delete(LEGACY_SPARK_SOURCE)


def _batch_definition(context: Any, asset_name: str) -> Any:
    source = context.data_sources.add_or_update_pandas(PANDAS_SOURCE)
    try:
        asset = source.get_asset(asset_name)
    except LookupError:
        asset = source.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition(WHOLE)
    except (KeyError, LookupError):
        return asset.add_batch_definition_whole_dataframe(WHOLE)


def checkpoint_for(context: Any, suite: gx.ExpectationSuite) -> Any:
    """Store ``suite`` (replacing the stored copy) and its validation definition and checkpoint."""
    suite = context.suites.add_or_update(suite)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(
            name=suite.name, data=_batch_definition(context, suite.name), suite=suite
        )
    )
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=suite.name,
            validation_definitions=[definition],
            # no per-checkpoint Data Docs action: it rebuilt the site index and re-rendered
            # pages once per suite (24 s of a 10k run); validate builds the docs once, at the end
            actions=[],
            result_format=RESULT_FORMAT,
        )
    )


def build_docs(context: Any, result_keys: list[Any]) -> None:
    """Render this run's validation results (and the site index) into the Data Docs site."""
    if result_keys:
        context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=result_keys)
