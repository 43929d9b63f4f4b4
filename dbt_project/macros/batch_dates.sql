{# The batch being built: only its partition is read, and "as of the batch date" means the
   instant the batch date ends in the business time zone (midnight after it, exclusive). #}

{% macro batch_date() -%}
    {{ return(var('batch_date')) }}
{%- endmacro %}

{% macro batch_partition_filter() -%}
    batch_date = date '{{ batch_date() }}'
{%- endmacro %}

{% macro batch_end_instant() -%}
    {{ return(adapter.dispatch('batch_end_instant', 'crmguard')()) }}
{%- endmacro %}

{% macro duckdb__batch_end_instant() -%}
    timezone('{{ var("business_timezone") }}', cast(date '{{ batch_date() }}' + interval 1 day as timestamp))
{%- endmacro %}

{% macro spark__batch_end_instant() -%}
    to_utc_timestamp(cast(date_add(date '{{ batch_date() }}', 1) as timestamp), '{{ var("business_timezone") }}')
{%- endmacro %}

{% macro local_date(instant) -%}
    {{ return(adapter.dispatch('local_date', 'crmguard')(instant)) }}
{%- endmacro %}

{% macro duckdb__local_date(instant) -%}
    cast(timezone('{{ var("business_timezone") }}', {{ instant }}) as date)
{%- endmacro %}

{% macro spark__local_date(instant) -%}
    to_date(from_utc_timestamp({{ instant }}, '{{ var("business_timezone") }}'))
{%- endmacro %}

{% macro add_years(day, years) -%}
    {{ return(adapter.dispatch('add_years', 'crmguard')(day, years)) }}
{%- endmacro %}

{% macro duckdb__add_years(day, years) -%}
    cast({{ day }} + to_years(cast({{ years }} as integer)) as date)
{%- endmacro %}

{% macro spark__add_years(day, years) -%}
    add_months({{ day }}, 12 * {{ years }})
{%- endmacro %}
