{# customers of the protected layer for the batch date: the columns the marts read, then every
   other column the partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'customer_token text from customer_id',
    'name_masked text from name',
    'id_type text',
    'id_number_token text from id_number',
    'id_number_mask text from id_number',
    'mobile_token text from mobile',
    'mobile_mask text from mobile',
    'email_masked text from email',
    'address_region text from address',
    'birth_year integer from birth_date',
    'gender text',
    'gps_location_token text from gps_location',
    'gps_location_mask text from gps_location',
    'credit_score_band text from credit_score',
    'annual_income_band text from annual_income',
    'member_tier text',
    'storage_region text',
    'created_at timestamptz',
    'updated_at timestamptz',
    'status text',
    'closed_at timestamptz',
]}) }}

{{ stage_source('protected', 'customers') }}
