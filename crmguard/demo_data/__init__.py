"""Demo CRM export generator: a seeded, reproducible landing batch with planted bad rows.

``crmguard.demo_data.generator.generate`` writes every source of the landing contract into
``<out>/<batch_date>/`` plus an ``expected.json`` manifest of the planted bad and tricky rows.
"""

# fixed default so the same arguments give byte-identical files on any day
DEFAULT_BATCH_DATE = "2026-11-20"
