{# Data transfers of the restricted layer for the batch date. `expects`: the landing contract's
   columns in their restricted form, which the rule models read; then every other column the
   partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'transfer_id text',
    'dataset text',
    'destination_country text',
    'recipient text',
    'individuals_count bigint',
    'sensitive_individuals_count bigint',
    'exemption_basis text',
    'mechanism text',
    'approval_ref text',
    'transferred_at timestamptz',
]}) }}

{{ stage_source('restricted', 'data_transfers') }}
