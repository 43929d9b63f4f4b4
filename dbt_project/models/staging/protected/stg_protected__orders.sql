{# Orders of the protected layer for the batch date. `expects`: the columns the analyst marts read
   from it (customer_360); then every other column the partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'customer_token text from customer_id',
    'ordered_at timestamptz',
]}) }}

{{ stage_source('protected', 'orders') }}
