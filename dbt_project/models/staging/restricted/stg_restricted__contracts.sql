{# Contracts of the restricted layer for the batch date. `expects`: the landing contract's
   columns in their restricted form, which the rule models read; then every other column the
   partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'contract_id text',
    'customer_token text from customer_id',
    'template_id text',
    'signed_at timestamptz',
    'sign_method text',
    'signer_identity_verified boolean',
    'timestamp_token text',
    'document_sha256 text',
    'status text',
    'shipped_at timestamptz',
    'accepted_at timestamptz',
    'storage_region text',
]}) }}

{{ stage_source('restricted', 'contracts') }}
