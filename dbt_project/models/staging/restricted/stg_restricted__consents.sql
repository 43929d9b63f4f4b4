with source as (
    select * from {{ source('restricted', 'consents') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        consent_id,
        customer_token,
        purpose,
        granted_at,
        withdrawn_at,
        notice_version,
        channel,
        evidence_hash,
        guardian_name,
        guardian_id_number_token,
        guardian_id_number_mask,
        birth_date_from_id,
        _batch_date,
        _key_version
    from source
)

select * from renamed
