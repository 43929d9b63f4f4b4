{# Campaigns of the restricted layer for the batch date. `expects`: the landing contract's
   columns in their restricted form, which the rule models read; then every other column the
   partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'campaign_id text',
    'name text',
    'purpose text',
    'content_template text',
    'data_fields_used text',
    'approved_by text',
    'approved_at timestamptz',
]}) }}

{{ stage_source('restricted', 'campaigns') }}
