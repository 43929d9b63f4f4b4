{# Marketing messages of the restricted layer for the batch date. `expects`: the landing contract's
   columns in their restricted form, which the rule models read; then every other column the
   partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'message_id text',
    'customer_token text from customer_id',
    'campaign_id text',
    'channel text',
    'content text',
    'sent_at timestamptz',
    'delivery_status text',
    'clicked_at timestamptz',
    'has_unsubscribe_link boolean',
    'storage_region text',
]}) }}

{{ stage_source('restricted', 'marketing_messages') }}
