{# Dsr requests of the restricted layer for the batch date. `expects`: the landing contract's
   columns in their restricted form, which the rule models read; then every other column the
   partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'request_id text',
    'customer_token text from customer_id',
    'request_type text',
    'received_at timestamptz',
    'completed_at timestamptz',
    'status text',
    'rejection_reason text',
]}) }}

{{ stage_source('restricted', 'dsr_requests') }}
