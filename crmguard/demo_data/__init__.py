"""Demo CRM export generator: a seeded, reproducible landing batch with planted bad rows.

``crmguard.demo_data.generator.generate`` writes every source of the landing contract into
``<out>/<batch_date>/`` plus an ``expected.json`` manifest of the planted bad and tricky rows.
The batch is clean by construction for every compliance rule of config/rules.yaml; the planters
of ``crmguard.demo_data.violations`` (``--violations``) plant known violations and near-misses,
listed under the manifest's ``violations`` key (and, for retention rules, write the previous
day's extract too).
"""

# fixed default so the same arguments give byte-identical files on any day
DEFAULT_BATCH_DATE = "2026-11-20"
