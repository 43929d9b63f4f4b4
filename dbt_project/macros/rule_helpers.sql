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

{# One scalar of the rule pack (seed rule_parameters, generated from config/rules.yaml) as a
   scalar subquery: rule_param('CUS-03', 'regulator_hours', type='double'). Maps take the key in
   `item`: rule_param('MKT-05', 'per_visit_limit_cny', item='gift'). #}
{% macro rule_param(rule_id, parameter, item=none, type='double') -%}
    (
        select cast(value as {{ type }})
        from {{ ref('rule_parameters') }}
        where rule_id = '{{ rule_id }}'
            and parameter = '{{ parameter }}'
            {%- if item is not none %}
            and item = '{{ item }}'
            {%- endif %}
    )
{%- endmacro %}

{# One organisation fact (seed organisation_facts, config/organisation.yaml) as a scalar
   subquery, e.g. org_fact('critical_information_infrastructure_operator', type='boolean'). #}
{% macro org_fact(fact, type='varchar') -%}
    (select cast(value as {{ type }}) from {{ ref('organisation_facts') }} where fact = '{{ fact }}')
{%- endmacro %}
