{# Portable helpers for the DATA-0x and CONS-02/03 rule models (DuckDB and Spark). #}

{# A select with one row per element of a comma list column of `relation` (a CTE or table),
   keeping `key_columns`: split_list_rows('campaigns', ['campaign_id'], 'data_fields_used',
   'column_name'). Elements are trimmed; empty elements and null lists give no row. #}
{% macro split_list_rows(relation, key_columns, list_column, element_name) -%}
    select
        {%- for key in key_columns %}
        {{ key }},
        {%- endfor %}
        trim(element) as {{ element_name }}
    from (
        select
            {%- for key in key_columns %}
            {{ key }},
            {%- endfor %}
            {{ list_elements(list_column) }} as element
        from {{ relation }}
        where {{ list_column }} is not null
    ) as exploded
    where trim(element) <> ''
{%- endmacro %}

{# one row per element of a comma list (a generator expression in the select list) #}
{% macro list_elements(list_column) -%}
    {{ return(adapter.dispatch('list_elements', 'crmguard')(list_column)) }}
{%- endmacro %}

{% macro duckdb__list_elements(list_column) -%}
    unnest(string_split({{ list_column }}, ','))
{%- endmacro %}

{% macro spark__list_elements(list_column) -%}
    explode(split({{ list_column }}, ','))
{%- endmacro %}

{# Full years between two dates (birthdays counted on the day: the 14th birthday makes 14).
   A 29 February birthday is reached on 1 March in common years. #}
{% macro full_years_between(earlier, later) -%}
    (
        year({{ later }}) - year({{ earlier }})
        - case
            when month({{ later }}) * 100 + day({{ later }})
                < month({{ earlier }}) * 100 + day({{ earlier }})
            then 1 else 0
        end
    )
{%- endmacro %}

{# Restricted staging model of a source, and the output column of a source column that this
   model selects (none when the model does not select any of its outputs). Built from the
   generated source meta (graph.sources) at compile time. #}
{% macro restricted_source_table(source_name) -%}
    {%- if execute -%}
        {%- for source in graph.get('sources', {}).values() if source.source_name == 'restricted' and source.name == source_name -%}
            {{ return(source) }}
        {%- endfor -%}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{% macro staged_output(source_name, column_name) -%}
    {%- if execute -%}
        {%- set table = restricted_source_table(source_name) -%}
        {%- set node = graph.get('nodes', {}).get('model.crmguard.stg_restricted__' ~ source_name) -%}
        {%- if table is not none and node is not none -%}
            {%- set meta = table.meta.get('source_columns', {}).get(column_name, {}) -%}
            {%- for output in meta.get('outputs', []) -%}
                {#- stage_source selects every column the partition holds #}
                {%- if output in table.columns -%}
                    {{ return(output) }}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{# Non-null values the classifier sampled per source column ('<source>.<column>' -> count), from
   the generated protected source meta `sample_size` (the catalog); columns whose meta does not
   carry it are absent (treated as collected). Unit tests override this macro. #}
{% macro data_column_samples() -%}
    {%- set sampled = {} -%}
    {%- if execute -%}
        {%- for source in graph.get('sources', {}).values() if source.source_name == 'protected' -%}
            {%- for column_name, meta in source.meta.get('source_columns', {}).items() -%}
                {%- if meta.get('sample_size') is not none -%}
                    {%- do sampled.update({source.name ~ '.' ~ column_name: meta['sample_size'] | int}) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(sampled) }}
{%- endmacro %}

{# The customers columns with their entity and the output stg_restricted__customers selects for
   them: [{column, entity, output}], from the generated restricted source meta. Unit tests
   override this macro. #}
{% macro customers_column_outputs() -%}
    {%- set candidates = [] -%}
    {%- if execute -%}
        {%- set table = restricted_source_table('customers') -%}
        {%- if table is not none -%}
            {%- for column_name, meta in table.meta.get('source_columns', {}).items() | sort -%}
                {%- set output = staged_output('customers', column_name) -%}
                {%- if output is not none and meta.get('entity') -%}
                    {%- do candidates.append({'column': column_name, 'entity': meta['entity'], 'output': output}) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(candidates) }}
{%- endmacro %}

{# The rows (column_name, entity) of customers_column_outputs() as a union of literals, or an
   empty typed relation when the batch has no such column (CONS-03 and DATA-05 join it to their
   entity lists). #}
{% macro column_entity_rows(candidates) -%}
{%- for candidate in candidates %}
    select
        cast('{{ candidate.column }}' as {{ dbt.type_string() }}) as column_name,
        cast('{{ candidate.entity }}' as {{ dbt.type_string() }}) as entity
    {{ 'union all' if not loop.last }}
{%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_string() }}) as entity
    where 1 = 0
{%- endfor %}
{%- endmacro %}
