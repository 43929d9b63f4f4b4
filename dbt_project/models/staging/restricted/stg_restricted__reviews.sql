with source as (
    select * from {{ source('restricted', 'reviews') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        review_id,
        customer_token,
        order_id,
        rating,
        content,
        created_at,
        status,
        moderation_reason,
        moderated_by,
        moderated_at,
        _batch_date,
        _key_version
    from source
)

select * from renamed
