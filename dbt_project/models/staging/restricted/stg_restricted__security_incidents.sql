with source as (
    select * from {{ source('restricted', 'security_incidents') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        incident_id,
        level,
        detected_at,
        affected_customers,
        contained_at,
        customers_notified_at,
        regulator_reported_at,
        _batch_date,
        _key_version
    from source
)

select * from renamed
