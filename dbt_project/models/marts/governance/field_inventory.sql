{# Every column of every source: entity, tier, protection class and declared purposes (generated
   source meta, from the catalog and config/field_purposes.yaml), and which marts it reaches in
   what form, resolved from each mart column's `meta.lineage` through the generated staging meta.
   One row per source column and mart column reached; mart_name is null when it reaches none. #}
-- depends_on: {{ ref('customer_360') }}
-- depends_on: {{ ref('marketing_audience') }}
-- depends_on: {{ ref('marketing_message_log') }}
-- depends_on: {{ ref('restricted_customer_financials') }}
{%- set rows = [] -%}
{%- if execute -%}
    {%- set outputs = {} -%}
    {%- set source_tables = {} -%}
    {%- for source in graph.sources.values() -%}
        {%- do source_tables.update({source.source_name ~ '.' ~ source.name: source}) -%}
        {%- for column in source.columns.values() -%}
            {%- do outputs.update({source.source_name ~ '.' ~ source.name ~ '.' ~ column.name: column.meta}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set reached = {} -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and 'marts' in node.fqn -%}
        {%- set layer = 'restricted' if 'restricted' in node.fqn else 'protected' -%}
        {%- for column in node.columns.values() -%}
            {%- for origin in column.meta.get('lineage', []) -%}
                {%- set meta = outputs.get(layer ~ '.' ~ origin) -%}
                {%- if meta and meta.get('source_column') -%}
                    {%- set key = origin.split('.')[0] ~ '.' ~ meta['source_column'] -%}
                    {%- do reached.setdefault(key, []).append(
                        {'mart': node.name, 'column': column.name, 'form': meta['form']}) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set protected_tables = [] -%}
    {%- for key, table in source_tables.items() if table.source_name == 'protected' -%}
        {%- do protected_tables.append(table) -%}
    {%- endfor -%}
    {%- for table in protected_tables | sort(attribute='name') -%}
        {%- set restricted = source_tables.get('restricted.' ~ table.name) -%}
        {%- set restricted_columns = restricted.meta.get('source_columns', {}) if restricted else {} -%}
        {%- for column_name, meta in table.meta.get('source_columns', {}).items() | sort -%}
            {%- set base = {
                'source_name': table.name,
                'column_name': column_name,
                'entity': meta.get('entity'),
                'tier': meta.get('tier'),
                'protection': meta.get('protection'),
                'declared_purposes': meta.get('declared_purposes', []) | join(','),
                'protected_form': meta.get('form'),
                'restricted_form': restricted_columns.get(column_name, {}).get('form', 'dropped'),
            } -%}
            {%- set marts = reached.get(table.name ~ '.' ~ column_name, [{}]) -%}
            {%- for mart in marts -%}
                {%- set row = base.copy() -%}
                {%- do row.update({'mart_name': mart.get('mart'), 'mart_column': mart.get('column'), 'mart_form': mart.get('form')}) -%}
                {%- do rows.append(row) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif -%}
{%- set text_columns = ['source_name', 'column_name', 'entity', 'tier', 'protection',
    'declared_purposes', 'protected_form', 'restricted_form', 'mart_name', 'mart_column',
    'mart_form'] %}

with inventory as (
{%- for row in rows %}
    select
        {%- for name in text_columns %}
        {{ field_inventory_literal(row[name]) }} as {{ name }},
        {%- endfor %}
        {{ 'true' if row['declared_purposes'] else 'false' }} as has_declared_purpose
    {{ 'union all' if not loop.last }}
{%- else %}
    select
        {%- for name in text_columns %}
        cast(null as {{ dbt.type_string() }}) as {{ name }},
        {%- endfor %}
        false as has_declared_purpose
    where 1 = 0
{%- endfor %}
)

select * from inventory
