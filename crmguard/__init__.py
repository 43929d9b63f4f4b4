"""CRM Guard: batch data governance for Chinese customer data (shared CLI, paths and config)."""

__version__ = "0.1.0"
