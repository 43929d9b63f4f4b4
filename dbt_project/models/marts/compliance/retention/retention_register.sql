{# Retention register: one row per record (source_name x key) of orders, marketing messages and
   contracts seen in any batch up to and including the batch date. Each batch is a full extract
   (landing contract): a key seen earlier and missing from the batch date's extract was deleted at
   the source. Retention starts at the local date of completion for orders (delivered_at, else
   ordered_at), of sending for messages, of signing for contracts (values of the latest extract
   holding the key) and lasts the configured years (config/rules.yaml: mkt_04
   order_retention_years / message_retention_years, con_03 retention_years).
   MKT-04 (orders, messages) and CON-03 (contracts): a key missing from the batch date's extract
   while the batch date is before its retention due date (deleted on or after the due date is
   not a finding). A key whose row was delivered but quarantined in the batch is not deleted. #}
with history as (
    select
        'orders' as source_name,
        order_id as record_key,
        customer_token,
        coalesce({{ local_date('delivered_at') }}, {{ local_date('ordered_at') }})
            as retention_start_date,
        case when delivered_at is not null then 'delivery' else 'order' end as retention_event,
        batch_date
    from {{ ref('stg_restricted_history__orders') }}

    union all

    select
        'marketing_messages' as source_name,
        message_id as record_key,
        customer_token,
        {{ local_date('sent_at') }} as retention_start_date,
        'sending' as retention_event,
        batch_date
    from {{ ref('stg_restricted_history__marketing_messages') }}

    union all

    select
        'contracts' as source_name,
        contract_id as record_key,
        customer_token,
        {{ local_date('signed_at') }} as retention_start_date,
        'signing' as retention_event,
        batch_date
    from {{ ref('stg_restricted_history__contracts') }}
),

quarantined as (
    {# delivered in the batch but quarantined at ingestion: present at the source #}
    select distinct source_name, record_key
    from {{ ref('stg_restricted__quarantined_keys') }}
),

retention_years as (
    select 'orders' as source_name, 'MKT-04' as rule_id,
        {{ rule_param('MKT-04', 'order_retention_years', type='integer') }} as years
    union all
    select 'marketing_messages' as source_name, 'MKT-04' as rule_id,
        {{ rule_param('MKT-04', 'message_retention_years', type='integer') }} as years
    union all
    select 'contracts' as source_name, 'CON-03' as rule_id,
        {{ rule_param('CON-03', 'retention_years', type='integer') }} as years
),

seen as (
    select
        source_name,
        record_key,
        min(batch_date) as first_seen_batch,
        max(batch_date) as last_seen_batch
    from history
    group by source_name, record_key
),

latest as (
    select
        history.source_name,
        history.record_key,
        history.customer_token,
        history.retention_start_date,
        history.retention_event,
        seen.first_seen_batch,
        seen.last_seen_batch
    from history
    inner join seen
        on history.source_name = seen.source_name
        and history.record_key = seen.record_key
        and history.batch_date = seen.last_seen_batch
),

judged as (
    select
        latest.*,
        retention_years.rule_id,
        retention_years.years as retention_years,
        {{ add_years('latest.retention_start_date', 'retention_years.years') }} as retention_due_date,
        latest.last_seen_batch = cast('{{ batch_date() }}' as date) as present_in_batch,
        quarantined.record_key is not null as quarantined_in_batch
    from latest
    inner join retention_years
        on latest.source_name = retention_years.source_name
    left join quarantined
        on latest.source_name = quarantined.source_name
        and latest.record_key = quarantined.record_key
),

flagged as (
    select
        *,
        (
            not present_in_batch
            and not quarantined_in_batch
            and cast('{{ batch_date() }}' as date) < retention_due_date
        ) as deleted_early
    from judged
),

evidenced as (
    select
        *,
        case when deleted_early then concat(
            'missing from the ', '{{ batch_date() }}', ' extract (last seen ',
            {{ date_text('last_seen_batch') }}, ') before its retention due date ',
            {{ date_text('retention_due_date') }}, ' (',
            cast(retention_years as {{ dbt.type_string() }}), ' years after ', retention_event,
            ' on ', {{ date_text('retention_start_date') }}, ')'
        ) end as deletion_evidence
    from flagged
)

select
    concat(source_name, ':', record_key) as subject,
    source_name,
    record_key,
    customer_token,
    first_seen_batch,
    last_seen_batch,
    present_in_batch,
    quarantined_in_batch,
    retention_start_date,
    retention_years,
    retention_due_date,
    deleted_early,
    deleted_early and rule_id = 'MKT-04' as violates_mkt_04,
    case when deleted_early and rule_id = 'MKT-04' then deletion_evidence end as evidence_mkt_04,
    deleted_early and rule_id = 'CON-03' as violates_con_03,
    case when deleted_early and rule_id = 'CON-03' then deletion_evidence end as evidence_con_03,
    cast('{{ batch_date() }}' as date) as batch_date
from evidenced
