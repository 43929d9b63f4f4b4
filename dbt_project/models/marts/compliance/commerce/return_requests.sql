{# CUS-02 (Consumer Rights Protection Law Art. 25), one row per order with a return request, as
   of the batch date. A remote sale (sales_channel in remote_channels) whose return was requested
   within window_days counted from the day after delivery (local dates in the business time zone:
   days_after_delivery = request local date - delivery local date, 1..window_days; a request on
   the delivery day itself, day 0, is also inside the right) and rejected for a reason that is
   neither one of always_valid_reasons nor the Art. 25 exception of the product's category
   (category_exceptions) is a finding. A rejection without any reason is no valid reason.
   Parameters: config/rules.yaml via the rule_parameters seed; channels, categories, statuses and
   reasons compared in their rule_text form on both sides. #}
with orders as (
    select * from {{ ref('stg_restricted__orders') }}
    where return_requested_at is not null
),

parameters as (
    select * from {{ ref('rule_parameters') }}
    where rule_id = 'CUS-02'
),

remote_channels as (
    select distinct {{ rule_text('item') }} as sales_channel from parameters
    where parameter = 'remote_channels'
),

always_valid_reasons as (
    select distinct {{ rule_text('item') }} as reason from parameters
    where parameter = 'always_valid_reasons'
),

category_exceptions as (
    select {{ rule_text('item') }} as product_category, {{ rule_text('value') }} as reason
    from parameters
    where parameter = 'category_exceptions'
),

measured as (
    select
        orders.order_id,
        orders.customer_token,
        orders.sales_channel,
        orders.product_category,
        orders.delivered_at,
        orders.return_requested_at,
        orders.return_status,
        orders.return_reject_reason,
        {{ days_between(local_date('orders.delivered_at'),
                                 local_date('orders.return_requested_at')) }} as days_after_delivery,
        remote_channels.sales_channel is not null as is_remote_sale,
        category_exceptions.reason as category_exception_reason,
        (
            always_valid_reasons.reason is not null
            or {{ rule_text('orders.return_reject_reason') }} = category_exceptions.reason
        ) as is_valid_reason
    from orders
    left join remote_channels
        on {{ rule_text('orders.sales_channel') }} = remote_channels.sales_channel
    left join category_exceptions
        on {{ rule_text('orders.product_category') }} = category_exceptions.product_category
    left join always_valid_reasons
        on {{ rule_text('orders.return_reject_reason') }} = always_valid_reasons.reason
),

judged as (
    select
        measured.*,
        coalesce(
            days_after_delivery >= 0
            and days_after_delivery <= {{ rule_param('CUS-02', 'window_days', type='integer') }},
            false
        ) as within_window
    from measured
),

final as (
    select
        *,
        (
            is_remote_sale
            and within_window
            and coalesce({{ rule_text('return_status') }} = 'rejected', false)
            and not coalesce(is_valid_reason, false)
        ) as violates_cus_02
    from judged
)

select
    order_id as subject,
    order_id,
    customer_token,
    sales_channel,
    product_category,
    delivered_at,
    return_requested_at,
    days_after_delivery,
    within_window,
    return_status,
    return_reject_reason,
    is_remote_sale,
    violates_cus_02,
    case when violates_cus_02 then concat(
        'remote sale (', sales_channel, '): return requested on day ',
        cast(days_after_delivery as {{ dbt.type_string() }}),
        ' after delivery (window ',
        cast({{ rule_param('CUS-02', 'window_days', type='integer') }} as {{ dbt.type_string() }}),
        ' days) and rejected for ', coalesce(return_reject_reason, 'no reason'),
        ', not a valid reason for category ', coalesce(product_category, 'unknown'),
        ' (valid: ', coalesce(category_exception_reason, 'no Art. 25 exception'), ' or ',
        coalesce((select {{ sorted_list('reason') }} from always_valid_reasons), ''), ')'
    ) end as evidence_cus_02,
    cast('{{ batch_date() }}' as date) as batch_date
from final
