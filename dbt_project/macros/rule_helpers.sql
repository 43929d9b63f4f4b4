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

{# -- time, text and evidence helpers of the rule models (DuckDB and Spark variants) -------- #}

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

{# hours (double, fractional) from instant `earlier` to instant `later`; null when either is null #}
{% macro hours_between(earlier, later) -%}
    {{ return(adapter.dispatch('hours_between', 'crmguard')(earlier, later)) }}
{%- endmacro %}

{% macro duckdb__hours_between(earlier, later) -%}
    (cast(epoch_us({{ later }}) - epoch_us({{ earlier }}) as double) / 3600000000.0)
{%- endmacro %}

{% macro spark__hours_between(earlier, later) -%}
    (cast(unix_micros({{ later }}) - unix_micros({{ earlier }}) as double) / 3600000000.0)
{%- endmacro %}

{# true when instant `start` plus `hours` lies strictly before instant `end`: a deadline that
   has passed as of `end` (an event exactly at the deadline is still in time) #}
{% macro deadline_passed(start, hours, end) -%}
    ({{ hours_between(start, end) }} > {{ hours }})
{%- endmacro %}

{# true when `text` holds a non-blank value / is null or blank #}
{% macro is_present(text) -%}
    coalesce(trim({{ text }}), '') <> ''
{%- endmacro %}

{% macro is_blank(text) -%}
    (coalesce(trim({{ text }}), '') = '')
{%- endmacro %}

{# evidence text: a date as YYYY-MM-DD #}
{% macro date_text(day) -%}
    cast(cast({{ day }} as date) as {{ dbt.type_string() }})
{%- endmacro %}

{# evidence text: a number, whole numbers without decimals (24), others with two (24.50) #}
{% macro number_text(value) -%}
    case
        when {{ value }} = floor({{ value }})
            then cast(cast({{ value }} as bigint) as {{ dbt.type_string() }})
        else printf('%.2f', cast({{ value }} as double))
    end
{%- endmacro %}

{# evidence text: an instant as UTC `YYYY-MM-DD HH:MM:SS UTC` #}
{% macro instant_text(instant) -%}
    {{ return(adapter.dispatch('instant_text', 'crmguard')(instant)) }}
{%- endmacro %}

{% macro duckdb__instant_text(instant) -%}
    concat(strftime(timezone('UTC', {{ instant }}), '%Y-%m-%d %H:%M:%S'), ' UTC')
{%- endmacro %}

{% macro spark__instant_text(instant) -%}
    concat(date_format({{ instant }}, 'yyyy-MM-dd HH:mm:ss'), ' UTC')
{%- endmacro %}

{# evidence text: an instant as wall-clock time in the business time zone, YYYY-MM-DD HH:MM #}
{% macro local_text(instant) -%}
    {{ return(adapter.dispatch('local_text', 'crmguard')(instant)) }}
{%- endmacro %}

{% macro duckdb__local_text(instant) -%}
    strftime(timezone('{{ var("business_timezone") }}', {{ instant }}), '%Y-%m-%d %H:%M')
{%- endmacro %}

{% macro spark__local_text(instant) -%}
    date_format(from_utc_timestamp({{ instant }}, '{{ var("business_timezone") }}'), 'yyyy-MM-dd HH:mm')
{%- endmacro %}

{# evidence text of a deadline judged late: `<done> after 49.50 h > 48 h <detail>` when the event
   happened, `<missing> as of the batch end; due within 48 h of <start> <detail>` when it did
   not. `detail` is a SQL text expression (e.g. the severity in brackets). #}
{% macro late_evidence(done_at, hours_taken, limit_hours, done, missing, start, detail) -%}
    case
        when {{ done_at }} is not null then concat(
            '{{ done }} after ', printf('%.2f', {{ hours_taken }}), ' h > ',
            {{ number_text(limit_hours) }}, ' h ', {{ detail }}
        )
        else concat(
            '{{ missing }} as of the batch end; due within ',
            {{ number_text(limit_hours) }}, ' h of {{ start }} ', {{ detail }}
        )
    end
{%- endmacro %}
