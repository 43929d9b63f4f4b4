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
    from source
)

select * from renamed
