{# Portable helpers of the commerce rule models (return_requests CUS-02, price_fairness MKT-03,
   dsr_sla DATA-05) for DuckDB and Spark. #}

{# whole calendar days from date `start_day` to date `end_day` (end minus start), integer #}
{% macro commerce_days_between(start_day, end_day) -%}
    {{ return(adapter.dispatch('commerce_days_between', 'crmguard')(start_day, end_day)) }}
{%- endmacro %}

{% macro duckdb__commerce_days_between(start_day, end_day) -%}
    cast(date_diff('day', {{ start_day }}, {{ end_day }}) as integer)
{%- endmacro %}

{% macro spark__commerce_days_between(start_day, end_day) -%}
    cast(datediff({{ end_day }}, {{ start_day }}) as integer)
{%- endmacro %}

{# a date as YYYY-MM-DD text #}
{% macro commerce_date_text(day) -%}
    {{ return(adapter.dispatch('commerce_date_text', 'crmguard')(day)) }}
{%- endmacro %}

{% macro duckdb__commerce_date_text(day) -%}
    strftime({{ day }}, '%Y-%m-%d')
{%- endmacro %}

{% macro spark__commerce_date_text(day) -%}
    date_format({{ day }}, 'yyyy-MM-dd')
{%- endmacro %}

{# an instant as local wall-clock text in the business time zone: YYYY-MM-DD HH:MM #}
{% macro commerce_local_text(instant) -%}
    {{ return(adapter.dispatch('commerce_local_text', 'crmguard')(instant)) }}
{%- endmacro %}

{% macro duckdb__commerce_local_text(instant) -%}
    strftime(timezone('{{ var("business_timezone") }}', {{ instant }}), '%Y-%m-%d %H:%M')
{%- endmacro %}

{% macro spark__commerce_local_text(instant) -%}
    date_format(from_utc_timestamp({{ instant }}, '{{ var("business_timezone") }}'), 'yyyy-MM-dd HH:mm')
{%- endmacro %}
