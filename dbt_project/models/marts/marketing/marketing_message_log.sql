{# Every marketing message with the consent that authorised it (CONS-01), null when none did:
   a consent of the channel's purpose, same customer, in force at sent_at; the latest granted wins,
   ties broken by the greatest consent_id. #}
with messages as (
    select * from {{ ref('stg_protected__marketing_messages') }}
),

consents as (
    select * from {{ ref('stg_protected__consents') }}
),

campaigns as (
    select * from {{ ref('stg_protected__campaigns') }}
),

channel_purposes as (
    select * from {{ ref('consent_channel_purposes') }}
),

messages_with_required_purpose as (
    select
        messages.*,
        channel_purposes.purpose as required_purpose
    from messages
    {# channels and purposes compared in their rule_text form (macros/rule_text.sql) #}
    left join channel_purposes
        on {{ rule_text('messages.channel') }} = {{ rule_text('channel_purposes.channel') }}
),

consents_in_force_at_send as (
    select
        messages.message_id,
        consents.consent_id,
        consents.notice_version,
        consents.granted_at,
        consents.channel as consent_channel,
        row_number() over (
            partition by messages.message_id
            order by consents.granted_at desc, consents.consent_id desc
        ) as consent_rank
    from messages_with_required_purpose as messages
    inner join consents
        on messages.customer_token = consents.customer_token
        and {{ rule_text('messages.required_purpose') }} = {{ rule_text('consents.purpose') }}
        and {{ consent_in_force('consents', 'messages.sent_at') }}
),

authorising_consents as (
    select * from consents_in_force_at_send
    where consent_rank = 1
),

final as (
    select
        messages.message_id,
        messages.customer_token,
        messages.campaign_id,
        campaigns.purpose as campaign_purpose,
        messages.channel,
        messages.required_purpose,
        messages.sent_at,
        messages.delivery_status,
        messages.clicked_at,
        messages.clicked_at is not null as is_clicked,
        messages.has_unsubscribe_link,
        authorising_consents.consent_id,
        authorising_consents.notice_version as consent_notice_version,
        authorising_consents.granted_at as consent_granted_at,
        authorising_consents.consent_channel,
        authorising_consents.consent_id is not null as is_consent_authorised,
        {{ add_years(local_date('messages.sent_at'), rule_param('MKT-04', 'message_retention_years', type='integer')) }}
            as retention_due_date,
        messages._batch_date as batch_date
    from messages_with_required_purpose as messages
    left join authorising_consents
        on messages.message_id = authorising_consents.message_id
    left join campaigns
        on messages.campaign_id = campaigns.campaign_id
)

select * from final
