{# MKT-05, one row per visit expense (config/rules.yaml mkt_05): no invoice (null or blank
   invoice_no) when invoice_required, or an amount above per_visit_limit_cny[expense_type]
   (exactly at the limit is within it). Types without a configured limit get only the invoice
   check. #}
with expenses as (
    select * from {{ ref('stg_restricted__visit_expenses') }}
),

limits as (
    select {{ rule_text('item') }} as expense_type, cast(value as decimal(18, 2)) as limit_cny
    from {{ ref('rule_parameters') }}
    where rule_id = 'MKT-05' and parameter = 'per_visit_limit_cny'
),

judged as (
    select
        expenses.expense_id,
        expenses.sales_rep_id,
        expenses.expense_type,
        cast(expenses.amount as decimal(18, 2)) as amount,
        cast(limits.limit_cny as double) as limit_cny,
        coalesce(
            {{ rule_param('MKT-05', 'invoice_required', type='boolean') }}
            and {{ is_blank('expenses.invoice_no') }},
            false
        ) as missing_invoice,
        coalesce(cast(expenses.amount as decimal(18, 2)) > limits.limit_cny, false) as over_limit
    from expenses
    left join limits
        on {{ rule_text('expenses.expense_type') }} = limits.expense_type
)

select
    expense_id as subject,
    expense_id,
    sales_rep_id,
    expense_type,
    amount,
    limit_cny,
    missing_invoice,
    over_limit,
    missing_invoice or over_limit as violates_mkt_05,
    case when missing_invoice or over_limit then concat_ws('; ',
        case when missing_invoice then concat('no invoice (', expense_type, ')') end,
        case when over_limit then concat(
            expense_type, ' amount ', cast(amount as {{ dbt.type_string() }}), ' CNY > limit ',
            {{ number_text('limit_cny') }}, ' CNY'
        ) end
    ) end as evidence_mkt_05,
    cast('{{ batch_date() }}' as date) as batch_date
from judged
