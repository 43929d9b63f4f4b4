{# CON-01 format clauses: one row per contract template of the batch x unfair clause configured
   in config/rules.yaml (con_01 `unfair_clauses`); a template whose clause_text contains the
   clause is a finding (one finding per template and clause). Text and clauses are compared in
   their rule_text form (NFKC per character, ASCII case folded); the subject names the clause as
   configured, the evidence quotes it as the template wrote it. #}
with templates as (
    select
        *,
        {{ rule_text('clause_text') }} as folded_clause_text
    from {{ ref('stg_restricted__contract_templates') }}
),

unfair_clauses as (
    select
        item as clause,
        {{ rule_text('item') }} as folded_clause
    from {{ ref('rule_parameters') }}
    where rule_id = 'CON-01' and parameter = 'unfair_clauses'
        and {{ rule_text('item') }} <> ''
),

judged as (
    select
        templates.template_id,
        unfair_clauses.clause,
        templates.version,
        {{ occurrences('templates.folded_clause_text', 'unfair_clauses.folded_clause') }} > 0
            as contains_clause,
        {{ rule_text_as_written('templates.clause_text', 'unfair_clauses.folded_clause') }}
            as clause_as_written
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
        ' contains the unfair clause "', clause, '"',
        case when clause_as_written <> clause
            then concat(' (written "', clause_as_written, '")') else '' end
    ) end as evidence_con_01,
    cast('{{ batch_date() }}' as date) as batch_date
from judged
