with source as (
    select * from {{ source('restricted', 'marketing_messages') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        message_id,
        customer_token,
        campaign_id,
        channel,
        content,
        sent_at,
        delivery_status,
        clicked_at,
        has_unsubscribe_link,
        storage_region,
        _batch_date,
        _key_version
    from source
)

select * from renamed
