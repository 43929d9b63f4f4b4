{# Security incidents of the restricted layer for the batch date. `expects`: the landing contract's
   columns in their restricted form, which the rule models read; then every other column the
   partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'incident_id text',
    'level text',
    'detected_at timestamptz',
    'affected_customers bigint',
    'contained_at timestamptz',
    'customers_notified_at timestamptz',
    'regulator_reported_at timestamptz',
]}) }}

{{ stage_source('restricted', 'security_incidents') }}
