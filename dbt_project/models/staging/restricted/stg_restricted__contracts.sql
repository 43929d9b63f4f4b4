with source as (
    select * from {{ source('restricted', 'contracts') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        contract_id,
        customer_token,
        template_id,
        signed_at,
        sign_method,
        signer_identity_verified,
        timestamp_token,
        document_sha256,
        status,
        shipped_at,
        accepted_at,
        storage_region,
        _batch_date,
        _key_version
    from source
)

select * from renamed
