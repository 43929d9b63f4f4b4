with source as (
    select * from {{ source('restricted', 'complaints') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        complaint_id,
        customer_token,
        category,
        severity,
        content,
        received_at,
        first_response_at,
        resolved_at,
        resolution,
        customer_confirmed,
        _batch_date,
        _key_version
    from source
)

select * from renamed
