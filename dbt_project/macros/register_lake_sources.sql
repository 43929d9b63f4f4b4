{# Spark has no read_parquet() in a FROM clause the way dbt-duckdb's external_location uses it:
   on Spark every lake source with a partition is registered as a view <layer>.<source> over its
   Parquet folder (partition discovery gives the batch_date column the staging models filter on).
   DuckDB reads the Parquet directly and needs nothing here. #}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources', 'crmguard')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
    select 1
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values()
                if source.source_name in ('protected', 'restricted') and source.meta.get('has_partition') -%}
            {%- if source.schema not in schemas -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
                {%- do schemas.append(source.schema) -%}
            {%- endif -%}
            {%- do run_query(
                'create or replace view ' ~ source.schema ~ '.' ~ source.name
                ~ ' as select * from parquet.`' ~ env_var('CRMGUARD_HOME') ~ '/lake/'
                ~ source.source_name ~ '/' ~ source.name ~ '`') -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
