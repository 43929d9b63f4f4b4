{# Who may be contacted on which channel as of the batch date end (business time zone): per
   customer and channel the latest consent of the channel's purpose still in force, with its
   lineage. Closed customers are never in the audience. #}
with customers as (
    select * from {{ ref('stg_protected__customers') }}
),

consents as (
    select * from {{ ref('stg_protected__consents') }}
),

channel_purposes as (
    select * from {{ ref('consent_channel_purposes') }}
),

contactable_customers as (
    select customer_token
    from customers
    where coalesce({{ rule_text('status') }}, '') <> 'closed'
),

consents_in_force_at_batch_end as (
    select
        consents.customer_token,
        channel_purposes.channel,
        consents.purpose,
        consents.consent_id,
        consents.notice_version,
        consents.granted_at,
        consents.channel as consent_channel,
        row_number() over (
            partition by consents.customer_token, channel_purposes.channel
            order by consents.granted_at desc, consents.consent_id desc
        ) as consent_rank
    from consents
    inner join channel_purposes
        on {{ rule_text('consents.purpose') }} = {{ rule_text('channel_purposes.purpose') }}
    where {{ consent_in_force('consents', batch_end_instant(), before_instant=true) }}
),

final as (
    select
        consents.customer_token,
        consents.channel,
        consents.purpose,
        consents.consent_id,
        consents.notice_version,
        consents.granted_at,
        consents.consent_channel,
        date '{{ batch_date() }}' as as_of_date
    from consents_in_force_at_batch_end as consents
    inner join contactable_customers
        on consents.customer_token = contactable_customers.customer_token
    where consents.consent_rank = 1
)

select * from final
