{# CON-01 format clauses: one row per contract template of the batch x unfair clause configured
   in config/rules.yaml (con_01 `unfair_clauses`); a template whose clause_text contains the
   clause verbatim is a finding (one finding per template and clause). #}
with templates as (
    select * from {{ ref('stg_restricted__contract_templates') }}
),

unfair_clauses as (
    select item as clause
    from {{ ref('rule_parameters') }}
    where rule_id = 'CON-01' and parameter = 'unfair_clauses'
),

judged as (
    select
        templates.template_id,
        unfair_clauses.clause,
        templates.version,
        {{ occurrences('templates.clause_text', 'unfair_clauses.clause') }} > 0 as contains_clause
    from templates
    cross join unfair_clauses
)

select
    concat(template_id, ':', clause) as subject,
    template_id,
    clause,
    version,
    contains_clause,
    contains_clause as violates_con_01,
    case when contains_clause then concat(
        'template ', template_id, ' version ', coalesce(version, '?'),
        ' contains the unfair clause "', clause, '"'
    ) end as evidence_con_01,
    cast('{{ batch_date() }}' as date) as batch_date
from judged
