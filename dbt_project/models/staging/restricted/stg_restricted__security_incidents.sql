{# security incidents of the restricted layer for the batch date: the columns the marts read, then every
   other column the partition holds (macros/stage_source.sql). #}
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
