{# a string literal for generated inventory rows; null stays a typed null #}
{% macro field_inventory_literal(value) -%}
    {%- if value is none -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        cast('{{ value | string | replace("'", "''") }}' as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}
