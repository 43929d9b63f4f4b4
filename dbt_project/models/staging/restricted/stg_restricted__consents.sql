{# Consents of the restricted layer for the batch date. `expects`: the landing contract's
   columns in their restricted form, which the rule models read; then every other column the
   partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'consent_id text',
    'customer_token text from customer_id',
    'purpose text',
    'granted_at timestamptz',
    'withdrawn_at timestamptz',
    'notice_version text',
    'channel text',
    'evidence_hash text',
    'guardian_name text',
    'guardian_id_number_token text from guardian_id_number',
    'guardian_id_number_mask text from guardian_id_number',
    'birth_date_from_id date from guardian_id_number',
]}) }}

{{ stage_source('restricted', 'consents') }}
