{# DATA-04 per calendar year (Asia/Shanghai year of transferred_at) and destination country, for
   transfers made before the batch date ends (config/rules.yaml DATA-04):
   running totals since 1 January over all recipients in that country of the transfers that are
   not exempt (exemption_basis not in exempt_bases; `other` and `none` are counted):
   ordinary = individuals_count - sensitive_individuals_count, sensitive = sensitive count.
   Required mechanism: security_assessment when ordinary >= security_assessment.ordinary or
   sensitive >= security_assessment.sensitive, or the organisation is a CIIO exporting anything;
   else standard_contract_or_certification when ordinary >= standard_contract.ordinary or
   sensitive >= standard_contract.sensitive; else none.
   A finding when a mechanism is required and not EVERY counted transfer of that year and
   country carries one listed in `satisfies.<required>` (an assessment also needs approval_ref):
   the requirement is on the year's exports to that country, each of which needs the legal
   basis. Summed counts are an upper bound on distinct people (one person may be in several
   transfers); the evidence says so. #}
with transfers as (
    select
        transfer_id,
        destination_country,
        coalesce(individuals_count, 0) as individuals_count,
        coalesce(sensitive_individuals_count, 0) as sensitive_individuals_count,
        coalesce(nullif({{ rule_text('exemption_basis') }}, ''), 'none') as exemption_basis,
        coalesce(nullif({{ rule_text('mechanism') }}, ''), 'none') as mechanism,
        approval_ref,
        cast(year({{ local_date('transferred_at') }}) as integer) as transfer_year
    from {{ ref('stg_restricted__data_transfers') }}
    where transferred_at < {{ batch_end_instant() }}
),

parameters as (
    select * from {{ ref('rule_parameters') }}
    where rule_id = 'DATA-04'
),

exempt_bases as (
    select distinct {{ rule_text('item') }} as basis from parameters where parameter = 'exempt_bases'
),

satisfying as (
    {# requirement -> mechanism that satisfies it (satisfies.<requirement>: [mechanisms]) #}
    select
        substr(parameter, length('satisfies.') + 1) as requirement,
        {{ rule_text('item') }} as mechanism
    from parameters
    where parameter like 'satisfies.%'
),

thresholds as (
    select
        {{ rule_param('DATA-04', 'security_assessment', item='ordinary_individuals', type='bigint') }} as assessment_ordinary,
        {{ rule_param('DATA-04', 'security_assessment', item='sensitive_individuals', type='bigint') }} as assessment_sensitive,
        {{ rule_param('DATA-04', 'standard_contract', item='ordinary_individuals', type='bigint') }} as contract_ordinary,
        {{ rule_param('DATA-04', 'standard_contract', item='sensitive_individuals', type='bigint') }} as contract_sensitive,
        coalesce({{ org_fact('critical_information_infrastructure_operator', type='boolean') }}, false) as is_ciio
),

classified as (
    select
        transfers.*,
        exempt_bases.basis is null as is_counted
    from transfers
    left join exempt_bases
        on transfers.exemption_basis = exempt_bases.basis
),

totals as (
    select
        transfer_year,
        destination_country,
        cast(sum(case when is_counted then individuals_count - sensitive_individuals_count else 0 end) as bigint) as ordinary_individuals,
        cast(sum(case when is_counted then sensitive_individuals_count else 0 end) as bigint) as sensitive_individuals,
        cast(sum(case when is_counted then 0 else individuals_count end) as bigint) as exempt_individuals,
        cast(sum(case when is_counted then 1 else 0 end) as bigint) as counted_transfers
    from classified
    group by transfer_year, destination_country
),

required as (
    select
        totals.*,
        case
            when totals.ordinary_individuals >= thresholds.assessment_ordinary
                or totals.sensitive_individuals >= thresholds.assessment_sensitive
                or (thresholds.is_ciio and totals.counted_transfers > 0)
                then 'security_assessment'
            when totals.ordinary_individuals >= thresholds.contract_ordinary
                or totals.sensitive_individuals >= thresholds.contract_sensitive
                then 'standard_contract_or_certification'
            else 'none'
        end as required_mechanism,
        case
            when totals.ordinary_individuals >= thresholds.assessment_ordinary then concat(
                'ordinary ', cast(totals.ordinary_individuals as {{ dbt.type_string() }}),
                ' >= ', cast(thresholds.assessment_ordinary as {{ dbt.type_string() }}))
            when totals.sensitive_individuals >= thresholds.assessment_sensitive then concat(
                'sensitive ', cast(totals.sensitive_individuals as {{ dbt.type_string() }}),
                ' >= ', cast(thresholds.assessment_sensitive as {{ dbt.type_string() }}))
            when thresholds.is_ciio and totals.counted_transfers > 0
                then 'CIIO: any export'
            when totals.ordinary_individuals >= thresholds.contract_ordinary then concat(
                'ordinary ', cast(totals.ordinary_individuals as {{ dbt.type_string() }}),
                ' >= ', cast(thresholds.contract_ordinary as {{ dbt.type_string() }}))
            when totals.sensitive_individuals >= thresholds.contract_sensitive then concat(
                'sensitive ', cast(totals.sensitive_individuals as {{ dbt.type_string() }}),
                ' >= ', cast(thresholds.contract_sensitive as {{ dbt.type_string() }}))
        end as requirement_reason,
        thresholds.is_ciio
    from totals
    cross join thresholds
),

transfer_checks as (
    select
        classified.transfer_year,
        classified.destination_country,
        cast(sum(
            case
                when satisfying.mechanism is null then 1
                when required.required_mechanism = 'security_assessment'
                    and coalesce(trim(classified.approval_ref), '') = '' then 1
                else 0
            end
        ) as bigint) as transfers_without_mechanism
    from classified
    inner join required
        on classified.transfer_year = required.transfer_year
        and classified.destination_country = required.destination_country
    left join satisfying
        on satisfying.requirement = required.required_mechanism
        and satisfying.mechanism = classified.mechanism
    where classified.is_counted
        and required.required_mechanism <> 'none'
    group by classified.transfer_year, classified.destination_country
),

judged as (
    select
        required.*,
        coalesce(transfer_checks.transfers_without_mechanism, 0) as transfers_without_mechanism,
        coalesce(transfer_checks.transfers_without_mechanism, 0) = 0 as mechanism_in_place
    from required
    left join transfer_checks
        on required.transfer_year = transfer_checks.transfer_year
        and required.destination_country = transfer_checks.destination_country
)

select
    concat(cast(transfer_year as {{ dbt.type_string() }}), ':', destination_country) as subject,
    transfer_year as year,
    destination_country,
    ordinary_individuals,
    sensitive_individuals,
    exempt_individuals,
    counted_transfers,
    required_mechanism,
    mechanism_in_place,
    transfers_without_mechanism,
    (required_mechanism <> 'none' and not mechanism_in_place) as violates_data_04,
    case when required_mechanism <> 'none' and not mechanism_in_place then concat(
        cast(transfer_year as {{ dbt.type_string() }}), ' to ', destination_country,
        ': ordinary ', cast(ordinary_individuals as {{ dbt.type_string() }}),
        ', sensitive ', cast(sensitive_individuals as {{ dbt.type_string() }}),
        ' since 1 January (', requirement_reason, ') -> ', required_mechanism,
        case when required_mechanism = 'security_assessment' then ' with approval_ref' else '' end,
        ' required; ', cast(transfers_without_mechanism as {{ dbt.type_string() }}), ' of ',
        cast(counted_transfers as {{ dbt.type_string() }}),
        ' counted transfers without it (summed counts are an upper bound on distinct individuals)'
    ) end as evidence_data_04,
    cast('{{ batch_date() }}' as date) as batch_date
from judged
