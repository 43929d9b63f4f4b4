{# CONS-01: a consent authorises processing at `instant` when it was granted at or before it and
   not withdrawn at or before it (granted exactly then = valid, withdrawn exactly then = not).
   `before_instant`: as of an exclusive end (the batch end), i.e. strictly before it. #}
{% macro consent_in_force(consent, instant, before_instant=false) -%}
    {%- if before_instant -%}
    ({{ consent }}.granted_at < {{ instant }}
        and ({{ consent }}.withdrawn_at is null or {{ consent }}.withdrawn_at >= {{ instant }}))
    {%- else -%}
    ({{ consent }}.granted_at <= {{ instant }}
        and ({{ consent }}.withdrawn_at is null or {{ consent }}.withdrawn_at > {{ instant }}))
    {%- endif -%}
{%- endmacro %}
