{# One row per (rule, evaluated unit) of every rule model: the population each rule judged and
   whether the unit violates it. compliance_findings is its violating rows; validation checks
   that no violating unit lacks its finding.

   Every rule model follows one interface (docs/marts.md): a `subject` column in the rule's
   subject format (docs/rules.md), and per rule R it judges `violates_<r>` (never null) and
   `evidence_<r>` (set exactly when violating), plus `batch_date`. An entry may name another
   subject column and a filter when one model holds several kinds of record (`subject_column`,
   `population` in config/rules.yaml). #}
{#- the rule registry (config/rules.yaml, generated into macros/rule_registry.sql) names each
    rule's model, subject column, population filter and subject type -#}
{% set checks = rule_registry() %}

{% for check in checks %}
{%- set r = check.rule_id | lower | replace('-', '_') %}
select
    cast('{{ check.rule_id }}' as {{ dbt.type_string() }}) as rule_id,
    cast('{{ check.subject_type }}' as {{ dbt.type_string() }}) as subject_type,
    cast(rule_model.{{ check.subject_column }} as {{ dbt.type_string() }}) as subject,
    coalesce(rule_model.violates_{{ r }}, false) as is_violation,
    case when rule_model.violates_{{ r }} then rule_model.evidence_{{ r }} end as evidence,
    rule_model.batch_date
from {{ ref(check.model) }} as rule_model
{%- if check.get('population') %}
where {{ check.population }}
{%- endif %}
{% if not loop.last %}union all{% endif %}
{% endfor %}
