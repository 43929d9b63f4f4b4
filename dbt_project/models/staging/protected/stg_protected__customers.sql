{# Customers of the protected layer for the batch date. `expects`: the columns the analyst marts
   read from it (customer_360, marketing_audience); then every other column the partition holds
   (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'customer_token text from customer_id',
    'id_number_token text from id_number',
    'mobile_token text from mobile',
    'name_masked text from name',
    'id_type text',
    'id_number_mask text from id_number',
    'mobile_mask text from mobile',
    'email_masked text from email',
    'address_region text from address',
    'birth_year integer from birth_date',
    'gender text',
    'member_tier text',
    'credit_score_band text from credit_score',
    'annual_income_band text from annual_income',
    'storage_region text',
    'status text',
    'created_at timestamptz',
    'closed_at timestamptz',
    '_batch_date date',
]}) }}

{{ stage_source('protected', 'customers') }}
