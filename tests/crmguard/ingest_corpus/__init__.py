"""The generated bad-input corpus of the ingest (issues 19 and 14): builders, ledger, tests."""
