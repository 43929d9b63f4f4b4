"""Ingestion of CRM landing exports into raw and quarantine Parquet, with reconciliation."""

from crmguard.ingest.batch import LandingFileError, discover_batch, ingest_file
from crmguard.ingest.reconcile import ReconciliationError, record_batch

__all__ = [
    "LandingFileError",
    "ReconciliationError",
    "discover_batch",
    "ingest_file",
    "record_batch",
]
