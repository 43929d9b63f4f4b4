with source as (
    select * from {{ source('protected', 'orders') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        order_id,
        customer_token,
        product_id,
        product_category,
        list_price,
        charged_price,
        member_tier_at_order,
        promo_code,
        sales_channel,
        ordered_at,
        delivered_at,
        return_requested_at,
        return_status,
        return_reject_reason,
        _batch_date,
        _key_version
    from source
)

select * from renamed
