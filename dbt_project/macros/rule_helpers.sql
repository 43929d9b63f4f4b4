{# Portable helpers for the rule models (DuckDB and Spark). #}

{# how many times `needle` occurs in `haystack` (non-overlapping); 0 when either is null #}
{% macro occurrences(haystack, needle) -%}
    coalesce(
        cast(
            (length({{ haystack }}) - length(replace({{ haystack }}, {{ needle }}, '')))
            / nullif(length({{ needle }}), 0)
            as integer
        ),
        0
    )
{%- endmacro %}

{% macro sorted_list(column) -%}
    {{ return(adapter.dispatch('sorted_list', 'crmguard')(column)) }}
{%- endmacro %}

{% macro duckdb__sorted_list(column) -%}
    string_agg(distinct {{ column }}, ', ' order by {{ column }})
{%- endmacro %}

{% macro spark__sorted_list(column) -%}
    array_join(array_sort(collect_set({{ column }})), ', ')
{%- endmacro %}
