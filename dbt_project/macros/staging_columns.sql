{# Columns of a lake source beyond the ones a staging model names: a column outside the landing
   contract appears in an extract, the classifier gives it an entity and the protect job writes
   its protective form to the layer; rule models that judge columns by entity (CONS-03) must see
   it. Read from the generated source YAML (the partition's Parquet schema) at execution; the
   pipeline's own columns (_source_file, _source_line, the batch_date partition) are left out. #}
{% macro extra_source_columns(layer, source_name, selected) -%}
    {%- set extra = [] -%}
    {%- if execute -%}
        {%- set internal = ['batch_date', '_source_file', '_source_line'] -%}
        {%- for source in graph.get('sources', {}).values()
                if source.source_name == layer and source.name == source_name -%}
            {%- for column in source.columns.keys() | sort
                    if column not in selected and column not in internal -%}
                {%- do extra.append(column) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(extra) }}
{%- endmacro %}
