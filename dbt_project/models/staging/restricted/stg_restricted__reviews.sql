{# Reviews of the restricted layer for the batch date. `expects`: the landing contract's
   columns in their restricted form, which the rule models read; then every other column the
   partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'review_id text',
    'customer_token text from customer_id',
    'order_id text',
    'rating bigint',
    'content text',
    'created_at timestamptz',
    'status text',
    'moderation_reason text',
    'moderated_by text',
    'moderated_at timestamptz',
]}) }}

{{ stage_source('restricted', 'reviews') }}
