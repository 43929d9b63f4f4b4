{# MKT-03 price fairness (PIPL Art. 24; E-Commerce Law Art. 18), one row per order, as of the
   batch date. explained_price = round(list_price x tier factor x promo factor, 2): factors from
   config (member_tier_factors, promo_code_factors via the rule_parameters seed); no promo code
   or a code not in the table -> promo factor 1; a tier not in the table -> tier factor 1 (nothing
   explains a discount). A finding needs both halves of "same product, same day": the charged
   price is more than tolerance_cny away from the explained price, AND another order of the same
   product_id on the same local order date (business time zone) was charged a different price. A
   lone order of its product that day (same_day_orders = 1), or same-day orders all charged the
   same price, is no differential treatment and not a finding here. Prices are C3 pass/clear in
   the protected layer, so exact amounts may be shown. #}
with orders as (
    select * from {{ ref('stg_restricted__orders') }}
),

parameters as (
    select * from {{ ref('rule_parameters') }}
    where rule_id = 'MKT-03'
),

{# tiers and codes match in their rule_text form: ｖｉｐ5 and vip5 are VIP5 #}
tier_factors as (
    select
        {{ rule_text('item') }} as member_tier,
        value as factor_text,
        cast(value as decimal(9, 4)) as factor
    from parameters where parameter = 'member_tier_factors'
),

promo_factors as (
    select
        {{ rule_text('item') }} as promo_code,
        value as factor_text,
        cast(value as decimal(9, 4)) as factor
    from parameters where parameter = 'promo_code_factors'
),

priced as (
    select
        orders.order_id,
        orders.customer_token,
        orders.product_id,
        {{ local_date('orders.ordered_at') }} as order_date,
        orders.member_tier_at_order,
        orders.promo_code,
        orders.list_price,
        orders.charged_price,
        coalesce(tier_factors.factor_text, '1 (tier not configured)') as tier_factor_text,
        case
            when nullif(trim(orders.promo_code), '') is null then '1 (no code)'
            else coalesce(promo_factors.factor_text, '1 (unknown code)')
        end as promo_factor_text,
        cast(round(
            orders.list_price
            * coalesce(tier_factors.factor, cast(1 as decimal(9, 4)))
            * coalesce(promo_factors.factor, cast(1 as decimal(9, 4))),
            2
        ) as decimal(18, 2)) as explained_price
    from orders
    left join tier_factors
        on {{ rule_text('orders.member_tier_at_order') }} = tier_factors.member_tier
    left join promo_factors
        on {{ rule_text('orders.promo_code') }} = promo_factors.promo_code
),

compared as (
    select
        priced.*,
        cast(abs(charged_price - explained_price) as decimal(18, 2)) as price_gap,
        cast(count(*) over (partition by product_id, order_date) as integer) as same_day_orders,
        min(charged_price) over (partition by product_id, order_date) as same_day_min_price,
        max(charged_price) over (partition by product_id, order_date) as same_day_max_price
    from priced
),

judged as (
    select
        compared.*,
        coalesce(
            product_id is not null
            and order_date is not null
            and same_day_min_price <> same_day_max_price,
            false
        ) as same_day_price_differs,
        coalesce(
            price_gap > {{ rule_param('MKT-03', 'tolerance_cny', type='decimal(18, 2)') }},
            false
        ) as is_unexplained
    from compared
),

final as (
    select
        *,
        is_unexplained and same_day_price_differs as violates_mkt_03
    from judged
)

select
    order_id as subject,
    order_id,
    customer_token,
    product_id,
    order_date,
    member_tier_at_order,
    promo_code,
    list_price,
    charged_price,
    explained_price,
    price_gap,
    same_day_orders,
    same_day_price_differs,
    violates_mkt_03,
    case when violates_mkt_03 then concat(
        'charged ', cast(charged_price as {{ dbt.type_string() }}),
        ' vs explained ', cast(explained_price as {{ dbt.type_string() }}),
        ' (list ', cast(list_price as {{ dbt.type_string() }}),
        ' x tier ', coalesce(member_tier_at_order, 'none'), ' ', tier_factor_text,
        ' x promo ', coalesce(nullif(trim(promo_code), ''), 'none'), ' ', promo_factor_text,
        '): gap ', cast(price_gap as {{ dbt.type_string() }}),
        ' > ', cast({{ rule_param('MKT-03', 'tolerance_cny', type='decimal(18, 2)') }} as {{ dbt.type_string() }}),
        ' CNY; ', cast(same_day_orders as {{ dbt.type_string() }}), ' orders of ', product_id,
        ' on ', {{ date_text('order_date') }}, ' charged ',
        cast(same_day_min_price as {{ dbt.type_string() }}), ' to ',
        cast(same_day_max_price as {{ dbt.type_string() }})
    ) end as evidence_mkt_03,
    cast('{{ batch_date() }}' as date) as batch_date
from final
