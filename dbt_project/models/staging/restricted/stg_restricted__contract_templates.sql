{# Contract templates of the restricted layer for the batch date. `expects`: the landing contract's
   columns in their restricted form, which the rule models read; then every other column the
   partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'template_id text',
    'title text',
    'clause_text text',
    'version text',
    'effective_from date',
]}) }}

{{ stage_source('restricted', 'contract_templates') }}
