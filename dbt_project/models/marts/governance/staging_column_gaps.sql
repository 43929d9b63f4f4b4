{# One row per column a staging model expects (its config meta `expects`: what the marts read)
   that the batch does not provide, e.g. approved_by_masked when the classifier left approved_by
   clear, or a column the export no longer has. Staging reads it as a typed null (fail closed);
   column_review turns each into a DATA-02 finding on the source column. Built at compile time
   from the staging models' expectations and the generated source meta (macros/stage_source). #}
{%- set gaps = staging_column_gaps() -%}
{%- set text_columns = ['layer', 'source_name', 'column_name', 'source_column', 'entity',
    'protection', 'form', 'reason'] %}

with gaps as (
{%- for gap in gaps %}
    select
        {%- for name in text_columns %}
        {{ field_inventory_literal(gap[name]) }} as {{ name }},
        {%- endfor %}
        cast('{{ batch_date() }}' as date) as batch_date
    {{ 'union all' if not loop.last }}
{%- else %}
    select
        {%- for name in text_columns %}
        cast(null as {{ dbt.type_string() }}) as {{ name }},
        {%- endfor %}
        cast(null as date) as batch_date
    where 1 = 0
{%- endfor %}
)

select * from gaps
