{# The verified access log as of this build (crmguard.rights.access_review writes it before every
   build): one row per entry; tokens, purposes and approver names only, no customer value.
   `expects`: what access_review reads (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'seq bigint',
    'accessed_at timestamptz',
    'event text',
    'actor text',
    'purpose text',
    'customer_token text',
    'request_id text',
    'c1_clear boolean',
    'basis text',
    'approvers text',
    'approver_roles text',
    'dual_approved boolean',
    'chain_ok boolean',
]}) }}

{{ stage_source('restricted', 'access_log') }}
