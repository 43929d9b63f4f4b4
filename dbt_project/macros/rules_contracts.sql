{# Portable helpers for the contract and retention rule models (contract_register,
   contract_template_review, retention_register); DuckDB and Spark variants. #}

{# whole calendar days from `earlier` to `later` (both dates): later - earlier #}
{% macro days_between(earlier, later) -%}
    {{ return(adapter.dispatch('days_between', 'crmguard')(earlier, later)) }}
{%- endmacro %}

{% macro duckdb__days_between(earlier, later) -%}
    cast(date_diff('day', cast({{ earlier }} as date), cast({{ later }} as date)) as integer)
{%- endmacro %}

{% macro spark__days_between(earlier, later) -%}
    cast(datediff(cast({{ later }} as date), cast({{ earlier }} as date)) as integer)
{%- endmacro %}

{# true when `text` holds a non-blank value #}
{% macro is_present(text) -%}
    coalesce(trim({{ text }}), '') <> ''
{%- endmacro %}

{# a date as YYYY-MM-DD text for evidence #}
{% macro date_text(day) -%}
    cast(cast({{ day }} as date) as {{ dbt.type_string() }})
{%- endmacro %}
