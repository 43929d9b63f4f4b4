{# DATA-05 data-subject rights (PIPL Art. 44-47, 50), one row per request, as of the batch date.
   Deadline: the end (local midnight, business time zone) of the deadline_working_days-th working
   day after the local day of receipt, counted on the working_calendar seed (config/calendar.yaml:
   weekends off, holidays off, make-up working weekends on). Findings:
   - answered (completed_at before the batch end) on a local day after deadline_date;
   - not answered by the batch end and deadline_date before the batch date (its end has passed);
   - rejected without a rejection_reason (when rejection_needs_reason);
   - a completed deletion request (deletion_request_type) whose customer is still in the batch's
     customers extract (personal data remains; the customers record is the layer checked).
   A deadline the calendar cannot reach (receipt or deadline outside the covered years) is not
   evaluated: deadline_date null, is_late false, deadline_evaluated false. #}
with requests as (
    select * from {{ ref('stg_restricted__dsr_requests') }}
),

customers as (
    select distinct customer_token from {{ ref('stg_restricted__customers') }}
),

settings as (
    select
        {{ rule_param('DATA-05', 'deadline_working_days', type='integer') }} as deadline_working_days,
        {{ rule_param('DATA-05', 'rejection_needs_reason', type='boolean') }} as rejection_needs_reason,
        {{ rule_param('DATA-05', 'deletion_request_type', type=dbt.type_string()) }} as deletion_request_type
),

calendar as (
    select
        calendar_date,
        is_working_day,
        {# working days up to and including this date, since the calendar's first day #}
        sum(case when is_working_day then 1 else 0 end) over (
            order by calendar_date rows between unbounded preceding and current row
        ) as working_day_index
    from {{ ref('working_calendar') }}
),

working_days as (
    select calendar_date, working_day_index from calendar where is_working_day
),

localised as (
    select
        requests.*,
        {{ local_date('requests.received_at') }} as received_date,
        case
            when requests.completed_at < {{ batch_end_instant() }}
                then {{ local_date('requests.completed_at') }}
        end as answered_date
    from requests
),

scheduled as (
    select
        localised.*,
        settings.deadline_working_days,
        settings.rejection_needs_reason,
        settings.deletion_request_type,
        deadline.calendar_date as deadline_date,
        customers.customer_token is not null as customer_in_extract,
        cast(answered.working_day_index - received.working_day_index as integer)
            as working_days_to_completion
    from localised
    cross join settings
    left join calendar as received
        on localised.received_date = received.calendar_date
    left join working_days as deadline
        on deadline.working_day_index = received.working_day_index
            + settings.deadline_working_days
    left join calendar as answered
        on localised.answered_date = answered.calendar_date
    left join customers
        on localised.customer_token = customers.customer_token
),

judged as (
    select
        scheduled.*,
        deadline_date is not null as deadline_evaluated,
        coalesce(
            case
                when answered_date is not null then answered_date > deadline_date
                else deadline_date < cast('{{ batch_date() }}' as date)
            end,
            false
        ) as is_late,
        coalesce(
            rejection_needs_reason
            and status = 'rejected'
            and nullif(trim(rejection_reason), '') is null,
            false
        ) as missing_rejection_reason,
        coalesce(
            request_type = deletion_request_type
            and status = 'completed'
            and answered_date is not null
            and customer_in_extract,
            false
        ) as personal_data_remains
    from scheduled
),

final as (
    select
        *,
        is_late or missing_rejection_reason or personal_data_remains as violates_data_05
    from judged
)

select
    request_id as subject,
    request_id,
    customer_token,
    request_type,
    received_at,
    completed_at,
    status,
    deadline_date,
    deadline_evaluated,
    working_days_to_completion,
    is_late,
    missing_rejection_reason,
    personal_data_remains,
    violates_data_05,
    case when violates_data_05 then concat(
        coalesce(request_type, 'unknown'), ' request received ',
        coalesce({{ date_text('received_date') }}, 'unknown'),
        '; deadline ', coalesce({{ date_text('deadline_date') }}, 'not evaluated'),
        ' (', cast(deadline_working_days as {{ dbt.type_string() }}),
        ' working days after receipt)',
        case
            when is_late and answered_date is not null then concat(
                '; ', coalesce(status, 'answered'), ' ', {{ date_text('answered_date') }}, ' after the deadline (',
                coalesce(cast(working_days_to_completion as {{ dbt.type_string() }}), '?'),
                ' working days)')
            when is_late then concat(
                '; still ', coalesce(status, 'unanswered'), ' at the end of ', cast('{{ batch_date() }}' as {{ dbt.type_string() }}),
                ', deadline passed')
            else ''
        end,
        case when missing_rejection_reason then '; rejected without a reason' else '' end,
        case when personal_data_remains
            then '; deletion completed but the customer token is still in the customers extract'
            else '' end
    ) end as evidence_data_05,
    cast('{{ batch_date() }}' as date) as batch_date
from final
