with source as (
    select * from {{ source('restricted', 'visit_expenses') }}
    where {{ batch_partition_filter() }}
),

renamed as (
    select
        expense_id,
        sales_rep_id,
        customer_org,
        counterpart_role,
        expense_type,
        amount,
        invoice_no,
        visited_at,
        _batch_date,
        _key_version
    from source
)

select * from renamed
