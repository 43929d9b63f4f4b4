{# One row per (rule, evaluated unit) of every rule model: the population each rule judged and
   whether the unit violates it. compliance_findings is its violating rows; validation checks
   that no violating unit lacks its finding.

   Every rule model follows one interface (docs/marts.md): a `subject` column in the rule's
   subject format (docs/rules.md), and per rule R it judges `violates_<r>` (never null) and
   `evidence_<r>` (set exactly when violating), plus `batch_date`. An entry may name another
   subject column and a filter when one model holds several kinds of record. #}
{% set checks = [
    {'rule_id': 'DATA-01', 'model': 'column_review'},
    {'rule_id': 'DATA-02', 'model': 'column_review'},
    {'rule_id': 'DATA-03', 'model': 'storage_location'},
    {'rule_id': 'DATA-04', 'model': 'cross_border_exposure'},
    {'rule_id': 'DATA-05', 'model': 'dsr_sla'},
    {'rule_id': 'DATA-06', 'model': 'campaign_field_use'},
    {'rule_id': 'CONS-01', 'model': 'marketing_message_review'},
    {'rule_id': 'CONS-02', 'model': 'customer_consent_review'},
    {'rule_id': 'CONS-03', 'model': 'customer_consent_review'},
    {'rule_id': 'MKT-01', 'model': 'marketing_message_review'},
    {'rule_id': 'MKT-02', 'model': 'marketing_message_review'},
    {'rule_id': 'MKT-03', 'model': 'price_fairness'},
    {'rule_id': 'MKT-04', 'model': 'retention_register',
     'where': "rule_model.source_name in ('orders', 'marketing_messages')"},
    {'rule_id': 'MKT-05', 'model': 'visit_expense_review'},
    {'rule_id': 'CUS-01', 'model': 'complaint_sla'},
    {'rule_id': 'CUS-02', 'model': 'return_requests'},
    {'rule_id': 'CUS-03', 'model': 'incident_response'},
    {'rule_id': 'CUS-04', 'model': 'review_moderation'},
    {'rule_id': 'CON-01', 'model': 'contract_template_review'},
    {'rule_id': 'CON-02', 'model': 'contract_register'},
    {'rule_id': 'CON-03', 'model': 'retention_register', 'subject': 'record_key',
     'where': "rule_model.source_name = 'contracts'"},
    {'rule_id': 'CON-04', 'model': 'contract_register'},
    {'rule_id': 'FIN-01', 'model': 'access_review'},
] %}

{% for check in checks %}
{%- set r = check.rule_id | lower | replace('-', '_') %}
select
    cast('{{ check.rule_id }}' as {{ dbt.type_string() }}) as rule_id,
    cast(catalog.grain as {{ dbt.type_string() }}) as subject_type,
    cast(rule_model.{{ check.get('subject', 'subject') }} as {{ dbt.type_string() }}) as subject,
    coalesce(rule_model.violates_{{ r }}, false) as is_violation,
    case when rule_model.violates_{{ r }} then rule_model.evidence_{{ r }} end as evidence,
    rule_model.batch_date
from {{ ref(check.model) }} as rule_model
inner join {{ ref('compliance_rule_catalog') }} as catalog
    on catalog.rule_id = '{{ check.rule_id }}'
{%- if check.get('where') %}
where {{ check.where }}
{%- endif %}
{% if not loop.last %}union all{% endif %}
{% endfor %}
