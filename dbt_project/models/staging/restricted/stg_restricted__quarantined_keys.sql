{# Keys of rows delivered in the batch but quarantined at ingestion (system-id keys only; the
   protect job writes them): present at the source, unreadable here. #}
with source as (
    select * from {{ source('restricted', 'quarantined_keys') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        source_name,
        record_key
    from source
)

select * from renamed
