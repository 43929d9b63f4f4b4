{# CONS-02 and CONS-03 per customer (config/rules.yaml):
   CONS-02 under minimum_age in full years at created_at (local date; birth_date, else the one
   derived from the resident ID; the birthday itself counts) and no consent of guardian_purpose
   granted at or before created_at. A customer whose birth date is unknown is not judged minor.
   CONS-03 a non-null value in a customers column whose entity is in sensitive_entities (PIPL
   sensitive, KYC-basis entities already excluded by config) and no consent of consent_purpose in
   force at the batch end (granted before it and not withdrawn before it).
   The customers columns and their entities come from the generated source meta at compile time;
   a column counts when stg_restricted__customers selects one of its outputs. #}
{%- set candidates = customers_column_outputs() %}

with customers as (
    select * from {{ ref('stg_restricted__customers') }}
),

consents as (
    select customer_token, {{ rule_text('purpose') }} as purpose, granted_at, withdrawn_at
    from {{ ref('stg_restricted__consents') }}
),

parameters as (
    select
        {{ rule_param('CONS-02', 'minimum_age', type='integer') }} as minimum_age,
        {{ rule_text(rule_param('CONS-02', 'guardian_purpose', type=dbt.type_string())) }} as guardian_purpose,
        {{ rule_text(rule_param('CONS-03', 'consent_purpose', type=dbt.type_string())) }} as sensitive_purpose
),

sensitive_entities as (
    select item as entity from {{ ref('rule_parameters') }}
    where rule_id = 'CONS-03' and parameter = 'sensitive_entities'
),

column_entities as (
    {{ column_entity_rows(candidates) }}
),

sensitive_columns as (
    select column_entities.column_name
    from column_entities
    inner join sensitive_entities
        on column_entities.entity = sensitive_entities.entity
),

sensitive_values as (
    select
        customers.customer_token,
        sensitive_columns.column_name
    from customers
    cross join sensitive_columns
    where
    {%- if candidates %} case sensitive_columns.column_name
        {%- for candidate in candidates %}
        when '{{ candidate.column }}' then customers.{{ candidate.output }} is not null
        {%- endfor %}
        else false
    end
    {%- else %} false {#- no candidate column: `case ... else false end` alone is not SQL #}
    {%- endif %}
),

sensitive_present as (
    select
        customer_token,
        {{ sorted_list('column_name') }} as sensitive_columns_present
    from sensitive_values
    group by customer_token
),

guardian_consents as (
    select distinct customers.customer_token
    from customers
    cross join parameters
    inner join consents
        on customers.customer_token = consents.customer_token
        and consents.purpose = parameters.guardian_purpose
        and consents.granted_at <= customers.created_at
),

sensitive_consents as (
    select distinct consents.customer_token
    from consents
    cross join parameters
    where consents.purpose = parameters.sensitive_purpose
        and consents.granted_at < {{ batch_end_instant() }}
        and (consents.withdrawn_at is null or consents.withdrawn_at >= {{ batch_end_instant() }})
),

ages as (
    select
        customer_token,
        created_at,
        cast({{ full_years_between(
            'coalesce(birth_date, birth_date_from_id)',
            local_date('created_at')
        ) }} as integer) as age_at_creation
    from customers
),

judged as (
    select
        ages.customer_token,
        ages.created_at,
        ages.age_at_creation,
        coalesce(ages.age_at_creation < parameters.minimum_age, false) as is_minor_at_creation,
        guardian_consents.customer_token is not null as has_guardian_consent,
        sensitive_present.sensitive_columns_present,
        sensitive_consents.customer_token is not null as has_sensitive_consent,
        parameters.minimum_age,
        parameters.guardian_purpose,
        parameters.sensitive_purpose
    from ages
    cross join parameters
    left join guardian_consents
        on ages.customer_token = guardian_consents.customer_token
    left join sensitive_present
        on ages.customer_token = sensitive_present.customer_token
    left join sensitive_consents
        on ages.customer_token = sensitive_consents.customer_token
),

flagged as (
    select
        *,
        (is_minor_at_creation and not has_guardian_consent) as violates_cons_02,
        (sensitive_columns_present is not null and not has_sensitive_consent) as violates_cons_03
    from judged
)

select
    customer_token as subject,
    customer_token,
    created_at,
    age_at_creation,
    is_minor_at_creation,
    has_guardian_consent,
    sensitive_columns_present,
    has_sensitive_consent,
    violates_cons_02,
    violates_cons_03,
    case when violates_cons_02 then concat(
        'age ', cast(age_at_creation as {{ dbt.type_string() }}), ' at creation < ',
        cast(minimum_age as {{ dbt.type_string() }}), '; no ', guardian_purpose,
        ' consent granted at or before created_at'
    ) end as evidence_cons_02,
    case when violates_cons_03 then concat(
        'values in sensitive columns: ', sensitive_columns_present, '; no ', sensitive_purpose,
        ' consent in force at the batch end'
    ) end as evidence_cons_03,
    cast('{{ batch_date() }}' as date) as batch_date
from flagged
