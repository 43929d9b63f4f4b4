{# One row per rule of config/rules.yaml: how many units were judged and how many are findings.
   A rule never evaluated from data (FIN-01) or with nothing to judge is 'not_evaluated', never
   'pass'. #}
with rules as (
    select * from {{ ref('compliance_rule_catalog') }}
),

checks as (
    select * from {{ ref('compliance_rule_checks') }}
),

counts as (
    select
        rule_id,
        count(*) as evaluated_count,
        sum(case when is_violation then 1 else 0 end) as finding_count
    from checks
    group by rule_id
),

final as (
    select
        rules.rule_id,
        cast(coalesce(counts.evaluated_count, 0) as bigint) as evaluated_count,
        cast(coalesce(counts.finding_count, 0) as bigint) as finding_count,
        case
            when rules.evaluated <> 'true' or coalesce(counts.evaluated_count, 0) = 0
                then 'not_evaluated'
            when counts.finding_count > 0 then 'findings'
            else 'pass'
        end as status,
        date '{{ batch_date() }}' as batch_date
    from rules
    left join counts
        on rules.rule_id = counts.rule_id
)

select * from final
