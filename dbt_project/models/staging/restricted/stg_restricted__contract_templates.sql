{# contract templates of the restricted layer for the batch date: the columns the marts read, then every
   other column the partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'template_id text',
    'title text',
    'clause_text text',
    'version text',
    'effective_from date',
]}) }}

{{ stage_source('restricted', 'contract_templates') }}
