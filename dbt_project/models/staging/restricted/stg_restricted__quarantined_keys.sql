{# Keys of rows delivered in the batch but quarantined at ingestion (system-id keys only; the
   protect job writes them): present at the source, unreadable here. #}
{# quarantined keys of the restricted layer for the batch date: the columns the marts read, then every
   other column the partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'source_name text',
    'record_key text',
]}) }}

{{ stage_source('restricted', 'quarantined_keys') }}
