{# Customers of the restricted layer for the batch date. `expects`: the landing contract's
   columns in their restricted form, which the rule models read; then every other column the
   partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'customer_token text from customer_id',
    'name text',
    'id_type text',
    'id_number_token text from id_number',
    'id_number_mask text from id_number',
    'mobile_token text from mobile',
    'mobile_mask text from mobile',
    'email text',
    'address text',
    'birth_date date',
    'birth_date_from_id date from id_number',
    'gender text',
    'gps_location_token text from gps_location',
    'gps_location_mask text from gps_location',
    'credit_score integer',
    'annual_income decimal',
    'member_tier text',
    'storage_region text',
    'created_at timestamptz',
    'updated_at timestamptz',
    'status text',
    'closed_at timestamptz',
]}) }}

{{ stage_source('restricted', 'customers') }}
