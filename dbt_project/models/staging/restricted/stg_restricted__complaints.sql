{# Complaints of the restricted layer for the batch date. `expects`: the landing contract's
   columns in their restricted form, which the rule models read; then every other column the
   partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'complaint_id text',
    'customer_token text from customer_id',
    'category text',
    'severity text',
    'content text',
    'received_at timestamptz',
    'first_response_at timestamptz',
    'resolved_at timestamptz',
    'resolution text',
    'customer_confirmed boolean',
]}) }}

{{ stage_source('restricted', 'complaints') }}
