{# Marketing messages of the protected layer for the batch date. `expects`: the columns the
   analyst marts read from it (marketing_message_log, marketing_message_review); then every other
   column the partition holds (macros/stage_source.sql). #}
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
    '_batch_date date',
]}) }}

{{ stage_source('protected', 'marketing_messages') }}
