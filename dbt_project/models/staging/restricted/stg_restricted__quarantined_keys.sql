{# Keys of rows delivered in the batch but quarantined at ingestion (system-id keys only; the
   protect job writes them): present at the source, unreadable here. #}
{{ config(meta={'expects': [
    'source_name text',
    'record_key text',
]}) }}

{{ stage_source('restricted', 'quarantined_keys') }}
