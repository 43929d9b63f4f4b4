{# One row per finding (../shared/spec/compliance-rules.md): the violating units of every rule
   model with the rule's severity and reference from config/rules.yaml. Subjects are tokens or
   system ids, never clear identifiers. #}
with violations as (
    select * from {{ ref('compliance_rule_checks') }}
    where is_violation
),

rules as (
    select * from {{ ref('compliance_rule_catalog') }}
),

final as (
    select
        md5(concat(violations.rule_id, '|', violations.subject)) as finding_id,
        violations.rule_id,
        rules.severity,
        violations.subject_type,
        violations.subject,
        violations.evidence,
        rules.reference,
        violations.batch_date,
        cast('{{ run_started_at.isoformat() }}' as {{ 'timestamp with time zone' if target.type == 'duckdb' else 'timestamp' }}) as detected_at
    from violations
    inner join rules
        on violations.rule_id = rules.rule_id
)

select * from final
