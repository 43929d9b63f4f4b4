{# CUS-04, one row per review (config/rules.yaml cus_04): a negative review (rating at most
   max_negative_rating) whose status is one of moderated_statuses (hidden, deleted) with a
   moderation_reason among invalid_reasons (none, other). A missing or blank reason counts as
   `none` (no reason given). #}
with reviews as (
    select * from {{ ref('stg_restricted__reviews') }}
),

parameters as (
    select * from {{ ref('rule_parameters') }}
    where rule_id = 'CUS-04'
),

moderated_statuses as (
    select distinct {{ rule_text('item') }} as status from parameters where parameter = 'moderated_statuses'
),

invalid_reasons as (
    select distinct {{ rule_text('item') }} as reason from parameters where parameter = 'invalid_reasons'
),

normalised as (
    select
        review_id,
        customer_token,
        order_id,
        cast(rating as integer) as rating,
        status,
        moderation_reason,
        coalesce(nullif({{ rule_text('moderation_reason') }}, ''), 'none') as reason_given
    from reviews
),

judged as (
    select
        normalised.*,
        coalesce(
            normalised.rating <= {{ rule_param('CUS-04', 'max_negative_rating', type='integer') }}
            and moderated_statuses.status is not null
            and invalid_reasons.reason is not null,
            false
        ) as violates_cus_04
    from normalised
    left join moderated_statuses
        on {{ rule_text('normalised.status') }} = moderated_statuses.status
    left join invalid_reasons
        on normalised.reason_given = invalid_reasons.reason
)

select
    review_id as subject,
    review_id,
    order_id,
    customer_token,
    rating,
    status,
    moderation_reason,
    violates_cus_04,
    case when violates_cus_04 then concat(
        'rating ', cast(rating as {{ dbt.type_string() }}), ' <= ',
        cast({{ rule_param('CUS-04', 'max_negative_rating', type='integer') }} as {{ dbt.type_string() }}),
        ' ', status, ' with moderation_reason ', reason_given
    ) end as evidence_cus_04,
    cast('{{ batch_date() }}' as date) as batch_date
from judged
