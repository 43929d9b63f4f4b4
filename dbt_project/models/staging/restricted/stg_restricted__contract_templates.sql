with source as (
    select * from {{ source('restricted', 'contract_templates') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        template_id,
        title,
        clause_text,
        version,
        effective_from,
        _batch_date,
        _key_version
    from source
)

select * from renamed
