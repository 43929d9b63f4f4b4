with source as (
    select * from {{ source('protected', 'customers') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        customer_token,
        name_masked,
        id_type,
        id_number_token,
        id_number_mask,
        mobile_token,
        mobile_mask,
        email_masked,
        address_region,
        birth_year,
        gender,
        gps_location_token,
        gps_location_mask,
        credit_score_band,
        annual_income_band,
        member_tier,
        storage_region,
        created_at,
        updated_at,
        status,
        closed_at,
        _batch_date,
        _key_version
    from source
)

select * from renamed
