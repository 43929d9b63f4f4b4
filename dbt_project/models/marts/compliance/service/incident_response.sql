{# CUS-03, one row per security incident, as of the batch date's end (config/rules.yaml cus_03):
   - late regulator report: for a level in regulator_levels, reported more than regulator_hours
     after detection (regulator_hours_ciio when organisation fact
     critical_information_infrastructure_operator is true); exactly at the limit is in time;
   - late customer notice: when affected_customers > 0 (any level), customers notified more than
     customer_notice_hours after detection;
   due and missing counts as late: no report / notice while its deadline has passed at the batch
   end is late; missing and not yet due is no finding. #}
with incidents as (
    select * from {{ ref('stg_restricted__security_incidents') }}
),

regulator_levels as (
    select distinct {{ rule_text('item') }} as level
    from {{ ref('rule_parameters') }}
    where rule_id = 'CUS-03' and parameter = 'regulator_levels'
),

limits as (
    select
        case
            when coalesce({{ org_fact('critical_information_infrastructure_operator', type='boolean') }}, false)
                then {{ rule_param('CUS-03', 'regulator_hours_ciio', type='double') }}
            else {{ rule_param('CUS-03', 'regulator_hours', type='double') }}
        end as regulator_hours,
        {{ rule_param('CUS-03', 'customer_notice_hours', type='double') }} as customer_notice_hours
),

measured as (
    select
        incidents.incident_id,
        incidents.level,
        incidents.detected_at,
        incidents.affected_customers,
        incidents.regulator_reported_at,
        incidents.customers_notified_at,
        {{ hours_between('incidents.detected_at', 'incidents.regulator_reported_at') }}
            as regulator_hours_taken,
        {{ hours_between('incidents.detected_at', 'incidents.customers_notified_at') }}
            as customer_notice_hours_taken,
        case when regulator_levels.level is not null then limits.regulator_hours end
            as regulator_limit_hours,
        case when incidents.affected_customers > 0 then limits.customer_notice_hours end
            as customer_notice_limit_hours
    from incidents
    cross join limits
    left join regulator_levels
        on {{ rule_text('incidents.level') }} = regulator_levels.level
),

judged as (
    select
        *,
        coalesce(
            regulator_limit_hours is not null
            and (
                regulator_hours_taken > regulator_limit_hours
                or (
                    regulator_reported_at is null
                    and {{ deadline_passed('detected_at', 'regulator_limit_hours', batch_end_instant()) }}
                )
            ),
            false
        ) as late_regulator_report,
        coalesce(
            customer_notice_limit_hours is not null
            and (
                customer_notice_hours_taken > customer_notice_limit_hours
                or (
                    customers_notified_at is null
                    and {{ deadline_passed('detected_at', 'customer_notice_limit_hours', batch_end_instant()) }}
                )
            ),
            false
        ) as late_customer_notice
    from measured
)

select
    incident_id as subject,
    incident_id,
    level,
    detected_at,
    affected_customers,
    regulator_hours_taken,
    regulator_limit_hours,
    customer_notice_hours_taken,
    customer_notice_limit_hours,
    late_regulator_report,
    late_customer_notice,
    late_regulator_report or late_customer_notice as violates_cus_03,
    case when late_regulator_report or late_customer_notice then concat_ws('; ',
        case when late_regulator_report then {{ late_evidence(
            'regulator_reported_at', 'regulator_hours_taken', 'regulator_limit_hours',
            'regulator informed', 'regulator not informed', 'detection',
            "concat('(level ', level, ')')") }} end,
        case when late_customer_notice then {{ late_evidence(
            'customers_notified_at', 'customer_notice_hours_taken', 'customer_notice_limit_hours',
            'customers notified', 'customers not notified', 'detection',
            "concat('(', cast(affected_customers as " ~ dbt.type_string() ~ "), ' affected)')") }} end
    ) end as evidence_cus_03,
    cast('{{ batch_date() }}' as date) as batch_date
from judged
