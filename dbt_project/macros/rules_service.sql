{# Portable helpers of the customer-service rule models (complaint_sla CUS-01,
   incident_response CUS-03, review_moderation CUS-04, visit_expense_review MKT-05) for DuckDB
   and Spark. Prefixed service_ so they never collide with other rule folders' macros. #}

{# hours (double, fractional) from instant `earlier` to instant `later`; null when either is null #}
{% macro service_hours_between(earlier, later) -%}
    {{ return(adapter.dispatch('service_hours_between', 'crmguard')(earlier, later)) }}
{%- endmacro %}

{% macro duckdb__service_hours_between(earlier, later) -%}
    (cast(epoch_us({{ later }}) - epoch_us({{ earlier }}) as double) / 3600000000.0)
{%- endmacro %}

{% macro spark__service_hours_between(earlier, later) -%}
    (cast(unix_micros({{ later }}) - unix_micros({{ earlier }}) as double) / 3600000000.0)
{%- endmacro %}

{# true when instant `start` plus `hours` (double) lies strictly before instant `end`: a deadline
   that has passed as of `end` (an event exactly at the deadline would still be in time) #}
{% macro service_deadline_passed(start, hours, end) -%}
    ({{ service_hours_between(start, end) }} > {{ hours }})
{%- endmacro %}

{# a number for evidence: whole numbers without decimals (24), others with two (24.50) #}
{% macro service_number_text(value) -%}
    case
        when {{ value }} = floor({{ value }})
            then cast(cast({{ value }} as bigint) as {{ dbt.type_string() }})
        else printf('%.2f', cast({{ value }} as double))
    end
{%- endmacro %}

{# an instant as UTC text YYYY-MM-DD HH:MM:SS for evidence #}
{% macro service_instant_text(instant) -%}
    {{ return(adapter.dispatch('service_instant_text', 'crmguard')(instant)) }}
{%- endmacro %}

{% macro duckdb__service_instant_text(instant) -%}
    concat(strftime(timezone('UTC', {{ instant }}), '%Y-%m-%d %H:%M:%S'), ' UTC')
{%- endmacro %}

{% macro spark__service_instant_text(instant) -%}
    concat(date_format({{ instant }}, 'yyyy-MM-dd HH:mm:ss'), ' UTC')
{%- endmacro %}

{# true when `text` is null or blank #}
{% macro service_is_blank(text) -%}
    (coalesce(trim({{ text }}), '') = '')
{%- endmacro %}
