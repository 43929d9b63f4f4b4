{# Consent status per customer and purpose as of the batch end: granted (a consent in force),
   withdrawn (granted before but none in force), absent rows = never granted. #}
{%- set purposes = [
    'marketing_sms', 'marketing_email', 'marketing_push', 'marketing_call',
    'personalised_recommendation', 'sensitive_pi', 'cross_border', 'third_party_share', 'guardian',
] -%}

with consents as (
    select * from {{ ref('stg_protected__consents') }}
),

consents_granted_before_batch_end as (
    select
        customer_token,
        purpose,
        max(case when {{ consent_in_force('consents', batch_end_instant(), before_instant=true) }}
            then 1 else 0 end) as is_in_force
    from consents
    where granted_at < {{ batch_end_instant() }}
    group by customer_token, purpose
),

pivoted as (
    select
        customer_token,
        {%- for purpose in purposes %}
        max(case when {{ rule_text('purpose') }} = '{{ purpose }}'
            then case when is_in_force = 1 then 'granted' else 'withdrawn' end
        end) as consent_{{ purpose }}{{ ',' if not loop.last }}
        {%- endfor %}
    from consents_granted_before_batch_end
    group by customer_token
)

select * from pivoted
