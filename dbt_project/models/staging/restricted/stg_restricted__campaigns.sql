with source as (
    select * from {{ source('restricted', 'campaigns') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        campaign_id,
        name,
        purpose,
        content_template,
        data_fields_used,
        approved_by,
        approved_at,
        _batch_date,
        _key_version
    from source
)

select * from renamed
