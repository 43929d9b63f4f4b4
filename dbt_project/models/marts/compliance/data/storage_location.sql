{# DATA-03 per record of the sources listed in rule_parameters DATA-03 `sources` (config/rules.yaml):
   a record whose storage_region is not one of organisation_facts mainland_regions is a finding
   when the storage rule applies to the organisation: a critical-information-infrastructure
   operator, a financial institution (JR/T 0171), or at least art40_individuals distinct customers
   in the extract (PIPL Art. 40). Otherwise offshore storage is a cross-border matter (DATA-04).
   Hong Kong, Macao and Taiwan regions are not mainland: only the configured list is. The
   candidate sources are those whose landing contract carries storage_region; the parameter list
   decides which of them are judged. #}
{%- set candidates = [
    {'source': 'customers', 'model': 'stg_restricted__customers', 'key': 'customer_token'},
    {'source': 'marketing_messages', 'model': 'stg_restricted__marketing_messages', 'key': 'message_id'},
    {'source': 'contracts', 'model': 'stg_restricted__contracts', 'key': 'contract_id'},
] %}

with judged_sources as (
    select distinct {{ rule_text('item') }} as source_name from {{ ref('rule_parameters') }}
    where rule_id = 'DATA-03' and parameter = 'sources'
),

mainland_regions as (
    {# region names compared in their rule_text form: CN-North-1 is cn-north-1 #}
    select distinct {{ rule_text('item') }} as region from {{ ref('organisation_facts') }}
    where fact = 'mainland_regions'
),

records as (
{%- for candidate in candidates %}
    select
        cast('{{ candidate.source }}' as {{ dbt.type_string() }}) as source_name,
        cast({{ candidate.key }} as {{ dbt.type_string() }}) as record_key,
        storage_region
    from {{ ref(candidate.model) }}
    {{ 'union all' if not loop.last }}
{%- endfor %}
),

organisation as (
    select
        coalesce({{ org_fact('critical_information_infrastructure_operator', type='boolean') }}, false) as is_ciio,
        coalesce({{ org_fact('financial_institution', type='boolean') }}, false) as is_financial,
        (select count(distinct customer_token) from {{ ref('stg_restricted__customers') }}) as customer_count,
        {{ rule_param('DATA-03', 'art40_individuals', type='bigint') }} as art40_individuals
),

judged as (
    select
        records.source_name,
        records.record_key,
        records.storage_region,
        mainland_regions.region is not null as is_mainland,
        (
            organisation.is_ciio
            or organisation.is_financial
            or organisation.customer_count >= organisation.art40_individuals
        ) as storage_rule_applies,
        organisation.is_ciio,
        organisation.is_financial,
        organisation.customer_count,
        organisation.art40_individuals
    from records
    inner join judged_sources
        on records.source_name = judged_sources.source_name
    cross join organisation
    left join mainland_regions
        on {{ rule_text('records.storage_region') }} = mainland_regions.region
)

select
    concat(source_name, ':', record_key) as subject,
    source_name,
    record_key,
    storage_region,
    is_mainland,
    storage_rule_applies,
    (storage_rule_applies and not is_mainland) as violates_data_03,
    case when storage_rule_applies and not is_mainland then concat(
        'stored in ', coalesce(storage_region, 'an unknown region'),
        ', not a configured mainland region; storage rule applies: ',
        case when is_ciio then 'CIIO; ' else '' end,
        case when is_financial then 'financial institution; ' else '' end,
        cast(customer_count as {{ dbt.type_string() }}), ' customers ',
        case when customer_count >= art40_individuals then '>= ' else '< ' end,
        cast(art40_individuals as {{ dbt.type_string() }}), ' (PIPL Art. 40)'
    ) end as evidence_data_03,
    cast('{{ batch_date() }}' as date) as batch_date
from judged
