{# DATA-05 data-subject rights (PIPL Art. 44-47, 50), one row per request, as of the batch date.
   Deadline: the end (local midnight, business time zone) of the deadline_working_days-th working
   day after the local day of receipt, counted on the working_calendar seed (config/calendar.yaml:
   weekends off, holidays off, make-up working weekends on). Findings:
   - answered (completed_at before the batch end) on a local day after deadline_date;
   - not answered by the batch end and deadline_date before the batch date (its end has passed);
   - rejected without a rejection_reason (when rejection_needs_reason);
   - a completed deletion request (deletion_request_type) after which personal data of the
     customer remains: a non-empty personal column in the batch's customers row (personal = the
     column's entity, from the classification catalog via the generated source meta, is not in
     non_personal_entities; a C1 value stays as its token, so it counts too), a marketing message
     sent to the customer after completed_at, or the customer in the marketing audience. A
     tombstone row (the key, status closed, every personal column empty) is how many CRMs record
     an erasure: not a finding. The evidence names the columns that remained.
   Types, statuses and parameters are compared in their rule_text form.
   A deadline the calendar cannot reach (receipt or deadline outside the covered years) is not
   evaluated: deadline_date null, is_late false, deadline_evaluated false. #}
{%- set candidates = customers_column_outputs() %}

with requests as (
    select
        *,
        {{ rule_text('request_type') }} as request_kind,
        {{ rule_text('status') }} as request_status
    from {{ ref('stg_restricted__dsr_requests') }}
),

settings as (
    select
        {{ rule_param('DATA-05', 'deadline_working_days', type='integer') }} as deadline_working_days,
        {{ rule_param('DATA-05', 'rejection_needs_reason', type='boolean') }} as rejection_needs_reason,
        {{ rule_text(rule_param('DATA-05', 'deletion_request_type', type=dbt.type_string())) }} as deletion_request_type
),

completed_deletions as (
    select requests.request_id, requests.customer_token, requests.completed_at
    from requests
    cross join settings
    where requests.request_kind = settings.deletion_request_type
        and requests.request_status = 'completed'
        and requests.completed_at < {{ batch_end_instant() }}
),

non_personal_entities as (
    select distinct item as entity from {{ ref('rule_parameters') }}
    where rule_id = 'DATA-05' and parameter = 'non_personal_entities'
),

column_entities as (
    {{ column_entity_rows(candidates) }}
),

personal_columns as (
    select column_entities.column_name
    from column_entities
    left join non_personal_entities
        on column_entities.entity = non_personal_entities.entity
    where non_personal_entities.entity is null
),

deleted_customers as (
    {# the customers rows of completed deletions only: the check costs nothing per customer #}
    select customers.*
    from {{ ref('stg_restricted__customers') }} as customers
    inner join (select distinct customer_token from completed_deletions) as deleted
        on customers.customer_token = deleted.customer_token
),

remaining_values as (
    select
        deleted_customers.customer_token,
        personal_columns.column_name
    from deleted_customers
    cross join personal_columns
    where
    {%- if candidates %} case personal_columns.column_name
        {%- for candidate in candidates %}
        when '{{ candidate.column }}' then {{ is_present('cast(deleted_customers.' ~ candidate.output ~ ' as ' ~ dbt.type_string() ~ ')') }}
        {%- endfor %}
        else false
    end
    {%- else %} false {#- no candidate column: `case ... else false end` alone is not SQL #}
    {%- endif %}
),

remaining_columns as (
    select
        customer_token,
        {{ sorted_list('column_name') }} as personal_columns_remaining
    from remaining_values
    group by customer_token
),

marketed_after_deletion as (
    select
        completed_deletions.request_id,
        cast(count(*) as integer) as messages_after_deletion
    from completed_deletions
    inner join {{ ref('stg_restricted__marketing_messages') }} as messages
        on completed_deletions.customer_token = messages.customer_token
        and messages.sent_at > completed_deletions.completed_at
    group by completed_deletions.request_id
),

audience_after_deletion as (
    select distinct completed_deletions.request_id
    from completed_deletions
    inner join {{ ref('marketing_audience') }} as audience
        on completed_deletions.customer_token = audience.customer_token
),

deletion_checks as (
    select
        completed_deletions.request_id,
        nullif(remaining_columns.personal_columns_remaining, '') as personal_columns_remaining,
        coalesce(marketed_after_deletion.messages_after_deletion, 0) as messages_after_deletion,
        audience_after_deletion.request_id is not null as in_marketing_audience
    from completed_deletions
    left join remaining_columns
        on completed_deletions.customer_token = remaining_columns.customer_token
    left join marketed_after_deletion
        on completed_deletions.request_id = marketed_after_deletion.request_id
    left join audience_after_deletion
        on completed_deletions.request_id = audience_after_deletion.request_id
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
        deletion_checks.personal_columns_remaining,
        coalesce(deletion_checks.messages_after_deletion, 0) as messages_after_deletion,
        coalesce(deletion_checks.in_marketing_audience, false) as in_marketing_audience,
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
    left join deletion_checks
        on localised.request_id = deletion_checks.request_id
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
            and request_status = 'rejected'
            and nullif(trim(rejection_reason), '') is null,
            false
        ) as missing_rejection_reason,
        (
            personal_columns_remaining is not null
            or messages_after_deletion > 0
            or in_marketing_audience
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
    personal_columns_remaining,
    messages_after_deletion,
    in_marketing_audience,
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
        case when personal_data_remains then concat(
            '; deletion completed ', {{ instant_text('completed_at') }},
            ' but personal data remains:',
            case when personal_columns_remaining is not null
                then concat(' customers columns ', personal_columns_remaining, ' not empty;')
                else '' end,
            case when messages_after_deletion > 0
                then concat(' ', cast(messages_after_deletion as {{ dbt.type_string() }}),
                    ' marketing messages sent after it;')
                else '' end,
            case when in_marketing_audience then ' still in the marketing audience;' else '' end
        ) else '' end
    ) end as evidence_data_05,
    cast('{{ batch_date() }}' as date) as batch_date
from final
