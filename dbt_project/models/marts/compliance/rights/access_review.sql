{# FIN-01 financial tiers (JR/T 0171-2020): one row per clear C1 access by staff (an unmask
   reveal) logged before the end of the batch date, and one per log entry the hash chain no
   longer vouches for. Violation: the access lacks approvals by distinct people covering every
   role config/rights.yaml requires (dual_approved, computed from the signed approvals recorded
   with the reveal), or the entry is not covered by an intact chain (edited, removed or
   reordered entries: nothing after them can be trusted). Data-subject exports (basis PIPL
   Art. 45: the customer's own copy) are governed by DATA-05 and not judged here. #}
with log as (
    select * from {{ ref('stg_restricted__access_log') }}
),

judged as (
    select
        *,
        coalesce(c1_clear and basis is null and not dual_approved, false) as lacks_dual_approval,
        not coalesce(chain_ok, false) as chain_broken
    from log
    where accessed_at < {{ batch_end_instant() }}
        and ((c1_clear and basis is null) or not coalesce(chain_ok, false))
)

select
    cast(seq as {{ dbt.type_string() }}) as subject,
    seq,
    accessed_at,
    event,
    actor,
    purpose,
    customer_token,
    request_id,
    approvers,
    approver_roles,
    dual_approved,
    chain_ok,
    lacks_dual_approval or chain_broken as violates_fin_01,
    case when lacks_dual_approval or chain_broken then concat(
        coalesce(event, 'entry'), ' by ', coalesce(actor, 'unknown'),
        ' for ', coalesce(purpose, 'no purpose'),
        case when lacks_dual_approval
            then concat('; approvals: ', coalesce(approvers, 'none'), ' (roles ',
                coalesce(approver_roles, 'none'), '), not two distinct required roles')
            else '' end,
        case when chain_broken then '; access log chain broken at or before this entry'
            else '' end
    ) end as evidence_fin_01,
    cast('{{ batch_date() }}' as date) as batch_date
from judged
