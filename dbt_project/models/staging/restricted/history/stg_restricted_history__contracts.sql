{# Every contract of every batch up to and including the batch date (each batch is a full
   extract): the retention register sees keys that disappeared from later extracts. #}
{{ config(meta={'expects': [
    'contract_id text',
    'customer_token text from customer_id',
    'signed_at timestamptz',
]}) }}

{{ stage_source('restricted', 'contracts', history=true) }}
