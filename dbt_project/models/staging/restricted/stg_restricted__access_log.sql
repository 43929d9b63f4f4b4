{# The verified access log as of this build (crmguard.rights.access_review writes it before every
   build): one row per entry; tokens, purposes and approver names only, no customer value. #}
with source as (
    select * from {{ source('restricted', 'access_log') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        seq,
        accessed_at,
        event,
        actor,
        purpose,
        customer_token,
        request_id,
        c1_clear,
        basis,
        approvers,
        approver_roles,
        dual_approved,
        chain_ok
    from source
)

select * from renamed
