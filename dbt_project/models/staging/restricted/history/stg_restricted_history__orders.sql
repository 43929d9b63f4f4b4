{# Every order of every batch up to and including the batch date (each batch is a full extract):
   the retention register sees keys that disappeared from later extracts. #}
{{ config(meta={'expects': [
    'order_id text',
    'customer_token text from customer_id',
    'ordered_at timestamptz',
    'delivered_at timestamptz',
]}) }}

{{ stage_source('restricted', 'orders', history=true) }}
