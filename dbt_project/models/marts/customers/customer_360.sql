{# One row per customer: tokens, display masks and bands only, and consent status per purpose. #}
{%- set purposes = [
    'marketing_sms', 'marketing_email', 'marketing_push', 'marketing_call',
    'personalised_recommendation', 'sensitive_pi', 'cross_border', 'third_party_share', 'guardian',
] -%}

with customers as (
    select * from {{ ref('stg_protected__customers') }}
),

consent_statuses as (
    select * from {{ ref('int_customers_consent_statuses') }}
),

orders as (
    select * from {{ ref('stg_protected__orders') }}
),

order_summaries as (
    select
        customer_token,
        count(*) as orders_count,
        max(ordered_at) as last_ordered_at
    from orders
    group by customer_token
),

final as (
    select
        customers.customer_token,
        customers.id_number_token,
        customers.mobile_token,
        customers.name_masked,
        customers.id_type,
        customers.id_number_mask,
        customers.mobile_mask,
        customers.email_masked,
        customers.address_region,
        cast(customers.birth_year as integer) as birth_year,
        customers.gender,
        customers.member_tier,
        customers.credit_score_band,
        customers.annual_income_band,
        customers.storage_region,
        customers.status,
        customers.created_at,
        customers.closed_at,
        cast(coalesce(order_summaries.orders_count, 0) as bigint) as orders_count,
        order_summaries.last_ordered_at,
        {%- for purpose in purposes %}
        coalesce(consent_statuses.consent_{{ purpose }}, 'none') as consent_{{ purpose }},
        {%- endfor %}
        customers._batch_date as batch_date
    from customers
    left join consent_statuses
        on customers.customer_token = consent_statuses.customer_token
    left join order_summaries
        on customers.customer_token = order_summaries.customer_token
)

select * from final
