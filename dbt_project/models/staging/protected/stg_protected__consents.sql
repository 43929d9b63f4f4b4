{# Consents of the protected layer for the batch date. `expects`: the columns the analyst marts
   read from it (consent statuses, marketing_audience, marketing_message_log and _review); then
   every other column the partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'consent_id text',
    'customer_token text from customer_id',
    'purpose text',
    'granted_at timestamptz',
    'withdrawn_at timestamptz',
    'notice_version text',
    'channel text',
]}) }}

{{ stage_source('protected', 'consents') }}
