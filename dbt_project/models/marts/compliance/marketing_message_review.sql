{# Rules judged per marketing message, as of the batch date (config/rules.yaml):
   CONS-01 no consent of the channel's purpose in force at sent_at (marketing_message_log);
   MKT-01 an absolute or guarantee term in the content, occurrences inside an allowed phrase
   (最近 for 最) not counted, content and both lists compared in their rule_text form (NFKC per
   character, ASCII case folded: １００％ is 100%), the evidence quoting the term as written; MKT-02 sent at or after the customer withdrew the channel's consent
   (and none in force then), or an unsubscribe means missing on a channel that needs one. #}
with message_log as (
    select * from {{ ref('marketing_message_log') }}
),

contents as (
    {# campaign copy repeats: each distinct text is folded once (DuckDB's translate costs a few
       microseconds per value, a hash join far less) #}
    select
        content,
        {{ rule_text('content') }} as folded_content
    from (select distinct content from {{ ref('stg_protected__marketing_messages') }}) as texts
),

messages as (
    select
        sent.message_id,
        sent.content,
        contents.folded_content
    from {{ ref('stg_protected__marketing_messages') }} as sent
    inner join contents
        on sent.content = contents.content
),

consents as (
    select * from {{ ref('stg_protected__consents') }}
),

parameters as (
    select * from {{ ref('rule_parameters') }}
),

absolute_terms as (
    select distinct {{ rule_text('item') }} as term from parameters
    where rule_id = 'MKT-01' and parameter = 'absolute_terms'
        and {{ rule_text('item') }} <> ''
),

allowed_phrases as (
    select distinct {{ rule_text('item') }} as phrase from parameters
    where rule_id = 'MKT-01' and parameter = 'allowed_phrases'
        and {{ rule_text('item') }} <> ''
),

unsubscribe_channels as (
    select distinct {{ rule_text('item') }} as channel from parameters
    where rule_id = 'MKT-02' and parameter = 'unsubscribe_required_channels'
),

term_hits as (
    {# occurrences of each listed term, minus those inside an allowed phrase containing it #}
    select
        messages.message_id,
        absolute_terms.term,
        {{ occurrences('messages.folded_content', 'absolute_terms.term') }} as term_count
    from messages
    inner join absolute_terms
        on {{ occurrences('messages.folded_content', 'absolute_terms.term') }} > 0
),

allowed_hits as (
    select
        term_hits.message_id,
        term_hits.term,
        sum(
            {{ occurrences('messages.folded_content', 'allowed_phrases.phrase') }}
            * {{ occurrences('allowed_phrases.phrase', 'term_hits.term') }}
        ) as allowed_count
    from term_hits
    inner join messages
        on term_hits.message_id = messages.message_id
    inner join allowed_phrases
        on {{ occurrences('allowed_phrases.phrase', 'term_hits.term') }} > 0
    group by term_hits.message_id, term_hits.term
),

claimed_terms as (
    {# the term, and how the message wrote it when that differs (full-width, other case) #}
    select
        term_hits.message_id,
        term_hits.term,
        {{ rule_text_as_written('messages.content', 'term_hits.term') }} as written
    from term_hits
    inner join messages
        on term_hits.message_id = messages.message_id
    left join allowed_hits
        on term_hits.message_id = allowed_hits.message_id
        and term_hits.term = allowed_hits.term
    where term_hits.term_count > coalesce(allowed_hits.allowed_count, 0)
),

absolute_claims as (
    select
        message_id,
        {{ sorted_list('term') }} as absolute_terms_found,
        {# Spark's empty list joins to '', DuckDB's to null #}
        nullif({{ sorted_list("case when written <> term then concat(term, ' as ', written) end") }}, '')
            as absolute_terms_written
    from claimed_terms
    group by message_id
),

withdrawals_before_send as (
    select
        message_log.message_id,
        max(consents.withdrawn_at) as last_withdrawn_at
    from message_log
    inner join consents
        on message_log.customer_token = consents.customer_token
        and {{ rule_text('message_log.required_purpose') }} = {{ rule_text('consents.purpose') }}
        and consents.withdrawn_at <= message_log.sent_at
    group by message_log.message_id
),

final as (
    select
        message_log.message_id,
        message_log.customer_token,
        message_log.channel,
        message_log.sent_at,
        message_log.consent_id,
        message_log.has_unsubscribe_link,
        withdrawals_before_send.last_withdrawn_at,
        absolute_claims.absolute_terms_found,
        absolute_claims.absolute_terms_written,
        not message_log.is_consent_authorised as violates_cons_01,
        absolute_claims.message_id is not null as violates_mkt_01,
        (
            withdrawals_before_send.message_id is not null
            and not message_log.is_consent_authorised
        ) as sent_after_withdrawal,
        (
            unsubscribe_channels.channel is not null
            and not coalesce(message_log.has_unsubscribe_link, false)
        ) as missing_unsubscribe,
        message_log.batch_date
    from message_log
    left join withdrawals_before_send
        on message_log.message_id = withdrawals_before_send.message_id
    left join absolute_claims
        on message_log.message_id = absolute_claims.message_id
    left join unsubscribe_channels
        on {{ rule_text('message_log.channel') }} = unsubscribe_channels.channel
),

judged as (
    select
        *,
        sent_after_withdrawal or missing_unsubscribe as violates_mkt_02
    from final
)

select
    message_id as subject,
    judged.*,
    case when violates_cons_01 then concat(
        'channel=', channel, '; sent_at=', cast(sent_at as {{ dbt.type_string() }}),
        '; no consent of the channel purpose in force at sent_at'
    ) end as evidence_cons_01,
    case when violates_mkt_01 then concat(
        'absolute terms: ', coalesce(absolute_terms_found, ''),
        case when absolute_terms_written is not null
            then concat(' (written ', absolute_terms_written, ')') else '' end
    ) end as evidence_mkt_01,
    case when violates_mkt_02 then concat(
        'channel=', channel, '; sent_at=', cast(sent_at as {{ dbt.type_string() }}),
        case when sent_after_withdrawal
            then concat('; consent withdrawn at ', cast(last_withdrawn_at as {{ dbt.type_string() }}))
            else '' end,
        case when missing_unsubscribe then '; no unsubscribe means' else '' end
    ) end as evidence_mkt_02
from judged
