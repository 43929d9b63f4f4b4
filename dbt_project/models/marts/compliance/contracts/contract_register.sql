{# Contract register: one row per contract of the batch, judged as of the batch date
   (config/rules.yaml):
   CON-02 an e-signed contract (sign_method = con_02 `method`) without signer identity
   verification (signer_identity_verified not true), a timestamp token or a document hash
   (null or blank);
   CON-04 shipped (shipped_at before the batch date ends) and not accepted (no accepted_at by
   then) more than con_04 `acceptance_days` before the batch date, counted in local calendar
   dates: batch date - local date of shipped_at > acceptance_days (exactly that many days is
   not yet a finding).
   Register columns: e-signature evidence flags, signing, retention due date (local signing date
   + con_03 `retention_years`) and performance status. #}
with contracts as (
    select * from {{ ref('stg_restricted__contracts') }}
),

parameters as (
    select
        {{ rule_param('CON-02', 'method', type=dbt.type_string()) }} as e_signature_method,
        {{ rule_param('CON-03', 'retention_years', type='integer') }} as retention_years,
        {{ rule_param('CON-04', 'acceptance_days', type='integer') }} as acceptance_days
),

evidence as (
    select
        contracts.contract_id,
        contracts.customer_token,
        contracts.template_id,
        contracts.sign_method,
        contracts.signed_at,
        contracts.status,
        contracts.shipped_at,
        contracts.accepted_at,
        parameters.acceptance_days,
        coalesce(
            {{ rule_text('contracts.sign_method') }} = {{ rule_text('parameters.e_signature_method') }}, false
        ) as is_e_signature,
        coalesce(contracts.signer_identity_verified, false) as has_identity_verification,
        {{ is_present('contracts.timestamp_token') }} as has_timestamp_token,
        {{ is_present('contracts.document_sha256') }} as has_document_hash,
        {{ add_years(local_date('contracts.signed_at'), 'parameters.retention_years') }}
            as retention_due_date,
        case when contracts.shipped_at < {{ batch_end_instant() }} then
            {{ days_between(local_date('contracts.shipped_at'), "date '" ~ batch_date() ~ "'") }}
        end as days_since_shipment,
        (
            contracts.accepted_at is not null
            and contracts.accepted_at < {{ batch_end_instant() }}
        ) as is_accepted
    from contracts
    cross join parameters
),

judged as (
    select
        *,
        (
            is_e_signature
            and not (has_identity_verification and has_timestamp_token and has_document_hash)
        ) as violates_con_02,
        (
            days_since_shipment is not null
            and not is_accepted
            and days_since_shipment > acceptance_days
        ) as violates_con_04
    from evidence
)

select
    contract_id as subject,
    contract_id,
    customer_token,
    template_id,
    sign_method,
    signed_at,
    has_identity_verification,
    has_timestamp_token,
    has_document_hash,
    retention_due_date,
    status as performance_status,
    shipped_at,
    accepted_at,
    days_since_shipment,
    violates_con_02,
    case when violates_con_02 then concat(
        'e-signed (', sign_method, ') without: ',
        concat_ws(', ',
            case when not has_identity_verification then 'signer identity verification' end,
            case when not has_timestamp_token then 'timestamp token' end,
            case when not has_document_hash then 'document hash' end
        )
    ) end as evidence_con_02,
    violates_con_04,
    case when violates_con_04 then concat(
        'shipped ', {{ date_text(local_date('shipped_at')) }}, ', not accepted: ',
        cast(days_since_shipment as {{ dbt.type_string() }}), ' days before the batch date > ',
        cast(acceptance_days as {{ dbt.type_string() }}), ' days (status ', status, ')'
    ) end as evidence_con_04,
    cast('{{ batch_date() }}' as date) as batch_date
from judged
