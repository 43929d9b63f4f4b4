{# Every marketing message of every batch up to and including the batch date (each batch is a
   full extract): the retention register sees keys that disappeared from later extracts. #}
{{ config(meta={'expects': [
    'message_id text',
    'customer_token text from customer_id',
    'sent_at timestamptz',
]}) }}

{{ stage_source('restricted', 'marketing_messages', history=true) }}
