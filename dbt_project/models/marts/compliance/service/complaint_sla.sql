{# CUS-01 (policy), one row per complaint, as of the batch date's end (config/rules.yaml cus_01):
   - late first response: answered more than first_response_hours[severity] after receipt
     (exactly at the limit is in time), or not answered at all while that limit has already
     passed at the batch end (due and missing counts as late; not yet due is no finding);
   - resolved without confirmation: resolved (resolved_at or a resolution recorded) and
     customer_confirmed not true (false or unrecorded), when resolution_needs_confirmation.
   A severity without a configured limit is never late (no limit to apply). #}
with complaints as (
    select * from {{ ref('stg_restricted__complaints') }}
),

response_limits as (
    select {{ rule_text('item') }} as severity, cast(value as double) as limit_hours
    from {{ ref('rule_parameters') }}
    where rule_id = 'CUS-01' and parameter = 'first_response_hours'
),

measured as (
    select
        complaints.complaint_id,
        complaints.customer_token,
        complaints.severity,
        complaints.received_at,
        complaints.first_response_at,
        complaints.resolved_at,
        complaints.customer_confirmed,
        {{ hours_between('complaints.received_at', 'complaints.first_response_at') }}
            as first_response_hours,
        response_limits.limit_hours as response_limit_hours,
        (
            complaints.resolved_at is not null
            or not {{ is_blank('complaints.resolution') }}
        ) as is_resolved
    from complaints
    left join response_limits
        on {{ rule_text('complaints.severity') }} = response_limits.severity
),

judged as (
    select
        *,
        coalesce(
            response_limit_hours is not null
            and (
                first_response_hours > response_limit_hours
                or (
                    first_response_at is null
                    and {{ deadline_passed('received_at', 'response_limit_hours', batch_end_instant()) }}
                )
            ),
            false
        ) as late_first_response,
        coalesce(
            {{ rule_param('CUS-01', 'resolution_needs_confirmation', type='boolean') }}
            and is_resolved
            and not coalesce(customer_confirmed, false),
            false
        ) as resolved_without_confirmation
    from measured
)

select
    complaint_id as subject,
    complaint_id,
    customer_token,
    severity,
    received_at,
    first_response_at,
    first_response_hours,
    response_limit_hours,
    late_first_response,
    resolved_without_confirmation,
    late_first_response or resolved_without_confirmation as violates_cus_01,
    case when late_first_response or resolved_without_confirmation then concat_ws('; ',
        case when late_first_response then {{ late_evidence(
            'first_response_at', 'first_response_hours', 'response_limit_hours',
            'first response', 'no first response', 'receipt',
            "concat('(severity ', severity, ')')") }} end,
        case when resolved_without_confirmation then concat(
            'resolved without customer confirmation (customer_confirmed ',
            coalesce(cast(customer_confirmed as {{ dbt.type_string() }}), 'missing'), ')'
        ) end
    ) end as evidence_cus_01,
    cast('{{ batch_date() }}' as date) as batch_date
from judged
