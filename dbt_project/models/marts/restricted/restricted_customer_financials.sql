{# Restricted roles only (published to warehouse/restricted.duckdb): C2 financial values in
   clear with order totals, for risk control. C1 stays tokenised even here. #}
with customers as (
    select * from {{ ref('stg_restricted__customers') }}
),

orders as (
    select * from {{ ref('stg_restricted__orders') }}
),

order_totals as (
    select
        customer_token,
        count(*) as orders_count,
        sum(charged_price) as total_charged
    from orders
    group by customer_token
),

final as (
    select
        customers.customer_token,
        customers.id_number_token,
        cast(customers.credit_score as integer) as credit_score,
        cast(customers.annual_income as decimal(18, 2)) as annual_income,
        customers.member_tier,
        cast(coalesce(order_totals.orders_count, 0) as bigint) as orders_count,
        cast(coalesce(order_totals.total_charged, 0) as decimal(18, 2)) as total_charged,
        customers._batch_date as batch_date
    from customers
    left join order_totals
        on customers.customer_token = order_totals.customer_token
)

select * from final
