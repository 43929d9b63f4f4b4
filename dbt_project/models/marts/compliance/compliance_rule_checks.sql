{# One row per (rule, evaluated unit) of every rule model: the population each rule judged and
   whether the unit violates it. compliance_findings is its violating rows; validation checks
   that no violating unit lacks its finding. A rule appears here once its model exists. #}
{% set checks = [
    {'rule_id': 'CONS-01', 'model': 'marketing_message_review', 'subject_type': 'message',
     'subject': 'message_id', 'flag': 'violates_cons_01',
     'evidence': "concat('channel=', channel, '; sent_at=', cast(sent_at as " ~ dbt.type_string() ~ "), '; no consent of the channel purpose in force at sent_at')"},
    {'rule_id': 'MKT-01', 'model': 'marketing_message_review', 'subject_type': 'message',
     'subject': 'message_id', 'flag': 'violates_mkt_01',
     'evidence': "concat('absolute terms: ', coalesce(absolute_terms_found, ''))"},
    {'rule_id': 'MKT-02', 'model': 'marketing_message_review', 'subject_type': 'message',
     'subject': 'message_id', 'flag': 'violates_mkt_02',
     'evidence': "concat('channel=', channel, '; sent_at=', cast(sent_at as " ~ dbt.type_string() ~ "), case when sent_after_withdrawal then concat('; consent withdrawn at ', cast(last_withdrawn_at as " ~ dbt.type_string() ~ ")) else '' end, case when missing_unsubscribe then '; no unsubscribe means' else '' end)"},
] %}

{% for check in checks %}
select
    cast('{{ check.rule_id }}' as {{ dbt.type_string() }}) as rule_id,
    cast('{{ check.subject_type }}' as {{ dbt.type_string() }}) as subject_type,
    cast({{ check.subject }} as {{ dbt.type_string() }}) as subject,
    coalesce({{ check.flag }}, false) as is_violation,
    case when {{ check.flag }} then {{ check.evidence }} end as evidence,
    batch_date
from {{ ref(check.model) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
