with source as (
    select * from {{ source('restricted', 'data_transfers') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        transfer_id,
        dataset,
        destination_country,
        recipient,
        individuals_count,
        sensitive_individuals_count,
        exemption_basis,
        mechanism,
        approval_ref,
        transferred_at,
        _batch_date,
        _key_version
    from source
)

select * from renamed
