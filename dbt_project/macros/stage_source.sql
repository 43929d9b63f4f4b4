{# Staging from the catalog: one macro for every stg_<layer>__<source> model, so any outcome of
   classification builds. A model declares the columns the marts read from it in its config meta
   `expects`, one entry per column: '<column> <type> [from <source column>]' (the source column
   when the output is named after another, e.g. 'mobile_mask text from mobile'). The model emits

   - each expected column: the partition's column when the batch provides it, else a typed null
     (fail closed: no data) that `staging_column_gaps` lists with the catalog entry behind it;
   - then every other column the partition holds (a column outside the landing contract, or the
     form the classifier chose instead of the expected one), so rules that judge columns by
     entity (CONS-03) see it.

   What the partition holds is the generated source YAML (crmguard.dbt_meta: the Parquet schema
   and the catalog + _protection.json meta) read from the graph at execution. #}

{# the pipeline's own columns that staging never passes on (lineage kept in the restricted
   files, and the hive partition column the filter reads) #}
{% macro staging_internal_columns() -%}
    {{ return(['batch_date', '_source_file', '_source_line']) }}
{%- endmacro %}

{# [{name, type, source_column}] from a staging model's config meta `expects` #}
{% macro staging_expectations(meta) -%}
    {%- set parsed = [] -%}
    {%- for entry in (meta or {}).get('expects', []) -%}
        {%- set words = entry.split() -%}
        {%- if words | length not in (2, 4) or (words | length == 4 and words[2] != 'from') -%}
            {{ exceptions.raise_compiler_error(
                "staging expects entry '" ~ entry
                ~ "': want '<column> <type> [from <source column>]'") }}
        {%- endif -%}
        {%- do parsed.append({
            'name': words[0],
            'type': words[1],
            'source_column': words[3] if words | length == 4 else words[0],
        }) -%}
    {%- endfor -%}
    {{ return(parsed) }}
{%- endmacro %}

{# the generated source entry of <layer>.<source> (none before execution or when absent) #}
{% macro lake_source(layer, source_name) -%}
    {%- if execute -%}
        {%- for source in graph.get('sources', {}).values()
                if source.source_name == layer and source.name == source_name -%}
            {{ return(source) }}
        {%- endfor -%}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{# history=true: every partition up to the batch date, the expected columns and batch_date only
   (rules that compare extracts; their gaps are the batch's own model's) #}
{% macro stage_source(layer, source_name, history=false) -%}
    {%- set relation = source(layer, source_name) -%}
    {%- set expected = staging_expectations(config.get('meta')) -%}
    {%- set lake = lake_source(layer, source_name) -%}
    {%- set held = lake.columns.keys() | list if lake is not none else [] -%}
    {%- set internal = staging_internal_columns() -%}
    {%- set names = expected | map(attribute='name') | list -%}
    {%- set columns = [] -%}
    {%- for column in expected -%}
        {%- if column.name in held or not execute -%}
            {%- do columns.append(column.name) -%}
        {%- else -%}
            {%- set typed_null = 'cast(null as ' ~ staging_type(column.type) ~ ')' -%}
            {%- do columns.append(typed_null ~ ' as ' ~ column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if history -%}
        {%- do columns.append('batch_date') -%}
    {%- else -%}
        {%- for column in held | sort if column not in names and column not in internal -%}
            {%- do columns.append(column) -%}
        {%- endfor -%}
    {%- endif %}
with source as (
    select * from {{ relation }}
    where {{ "batch_date <= date '" ~ batch_date() ~ "'" if history else batch_partition_filter() }}
),

renamed as (
    select
        {{ columns | join(',\n        ') }}
    from source
)

select * from renamed
{%- endmacro %}

{# Expected columns of every staging model that the batch does not provide:
   [{layer, source_name, column_name, source_column, entity, protection, form, reason}], the
   reason naming the catalog entry (classified entity/protection and form, or absent). #}
{% macro staging_column_gaps() -%}
    {%- set gaps = [] -%}
    {%- if execute -%}
        {%- for node in graph.get('nodes', {}).values() | sort(attribute='name')
                if node.resource_type == 'model'
                and modules.re.match('^stg_(protected|restricted)__', node.name) -%}
            {%- set layer, source_name = node.name[4:].split('__', 1) -%}
            {%- set lake = lake_source(layer, source_name) -%}
            {%- set held = lake.columns.keys() | list if lake is not none else [] -%}
            {%- set catalog = lake.meta.get('source_columns', {}) if lake is not none else {} -%}
            {%- for column in staging_expectations(node.config.get('meta') or node.get('meta'))
                    if column.name not in held -%}
                {%- set entry = catalog.get(column.source_column) -%}
                {%- set subject = source_name ~ '.' ~ column.source_column -%}
                {%- if entry is none -%}
                    {%- set why = subject ~ ' is not in the batch (no catalog entry)' -%}
                {%- else -%}
                    {%- set why = subject ~ ' classified ' ~ entry.get('entity') ~ '/'
                        ~ entry.get('protection') ~ ', form ' ~ entry.get('form') -%}
                {%- endif -%}
                {%- do gaps.append({
                    'layer': layer,
                    'source_name': source_name,
                    'column_name': column.name,
                    'source_column': column.source_column,
                    'entity': (entry or {}).get('entity'),
                    'protection': (entry or {}).get('protection'),
                    'form': (entry or {}).get('form'),
                    'reason': layer ~ ': ' ~ why ~ ': no ' ~ column.name ~ ' (read as null)',
                }) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(gaps) }}
{%- endmacro %}

{# the engine's type for an `expects` type word (a typed null must match the marts' contracts) #}
{% macro staging_type(kind) -%}
    {{ return(adapter.dispatch('staging_type', 'crmguard')(kind)) }}
{%- endmacro %}

{% macro default__staging_type(kind) -%}
    {%- set types = {
        'text': 'varchar', 'timestamptz': 'timestamp with time zone', 'date': 'date',
        'integer': 'integer', 'bigint': 'bigint', 'decimal': 'decimal(18,2)', 'boolean': 'boolean',
    } -%}
    {{ return(staging_type_of(types, kind)) }}
{%- endmacro %}

{% macro spark__staging_type(kind) -%}
    {%- set types = {
        'text': 'string', 'timestamptz': 'timestamp', 'date': 'date', 'integer': 'int',
        'bigint': 'bigint', 'decimal': 'decimal(18,2)', 'boolean': 'boolean',
    } -%}
    {{ return(staging_type_of(types, kind)) }}
{%- endmacro %}

{% macro staging_type_of(types, kind) -%}
    {%- if kind not in types -%}
        {{ exceptions.raise_compiler_error(
            "staging expects type '" ~ kind ~ "': use one of "
            ~ (types.keys() | sort | join(', '))) }}
    {%- endif -%}
    {{ return(types[kind]) }}
{%- endmacro %}

