with source as (
    select * from {{ source('restricted', 'dsr_requests') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        request_id,
        customer_token,
        request_type,
        received_at,
        completed_at,
        status,
        rejection_reason,
        _batch_date,
        _key_version
    from source
)

select * from renamed
