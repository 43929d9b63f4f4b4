{# consents of the protected layer for the batch date: the columns the marts read, then every
   other column the partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'consent_id text',
    'customer_token text from customer_id',
    'purpose text',
    'granted_at timestamptz',
    'withdrawn_at timestamptz',
    'notice_version text',
    'channel text',
    'evidence_hash text',
    'guardian_name_masked text from guardian_name',
    'guardian_id_number_token text from guardian_id_number',
    'guardian_id_number_mask text from guardian_id_number',
]}) }}

{{ stage_source('protected', 'consents') }}
