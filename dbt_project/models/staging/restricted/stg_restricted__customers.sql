{# The contract's columns by name, then any other classified column the restricted layer holds
   (its protective form, e.g. bank_card_no_token): CONS-03 judges every column by entity. #}
{%- set named = ['customer_token', 'name', 'id_type', 'id_number_token', 'id_number_mask', 'mobile_token', 'mobile_mask', 'email', 'address', 'birth_date', 'birth_date_from_id', 'gender', 'gps_location_token', 'gps_location_mask', 'credit_score', 'annual_income', 'member_tier', 'storage_region', 'created_at', 'updated_at', 'status', 'closed_at', '_batch_date', '_key_version'] %}

with source as (
    select * from {{ source('restricted', 'customers') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        customer_token,
        name,
        id_type,
        id_number_token,
        id_number_mask,
        mobile_token,
        mobile_mask,
        email,
        address,
        birth_date,
        birth_date_from_id,
        gender,
        gps_location_token,
        gps_location_mask,
        credit_score,
        annual_income,
        member_tier,
        storage_region,
        created_at,
        updated_at,
        status,
        closed_at,
        _batch_date,
        _key_version
        {%- for column in extra_source_columns('restricted', 'customers', named) %},
        {{ column }}
        {%- endfor %}
    from source
)

select * from renamed
