{# The one form in which rule models compare text and codes (words, clauses, promo codes, tiers,
   channels, statuses, reasons, regions, purposes), on both sides of the comparison, config lists
   included: every character NFKC maps to a single character replaced by it (full-width ASCII,
   ideographic space, ...), ASCII letters lower-cased, spaces trimmed. The table is generated
   from Python's unicodedata (crmguard/rule_text.py -> macros/rule_text_table.sql); what it
   leaves out and why is said there. One character to one: a position in the folded text is the
   same position in the original, so evidence can quote what was written. #}
{% macro rule_text(expression, trimmed=true) -%}
    {{ return(adapter.dispatch('rule_text', 'crmguard')(expression, trimmed)) }}
{%- endmacro %}

{# DuckDB's translate builds its character map for every row, so each stage runs only on the
   values holding one of its characters (an RE2 class, compiled once per query); the rare stage
   (Kangxi radicals, compatibility ideographs, ...) almost never runs. #}
{% macro duckdb__rule_text(expression, trimmed=true) -%}
    {%- set table = rule_text_table() -%}
    {%- set rare = _duckdb_fold_stage(expression, table['rare_class'], table['rare_source'], table['rare_target']) -%}
    {%- set folded = _duckdb_fold_stage(rare, table['common_class'], table['common_source'], table['common_target']) -%}
    {#- spaces only: DuckDB's one-argument trim also strips U+1680, which NFKC keeps #}
    {{ 'trim(' ~ folded ~ ", ' ')" if trimmed else folded }}
{%- endmacro %}

{% macro _duckdb_fold_stage(expression, class, source, target) -%}
    case
        when regexp_matches({{ expression }}, '{{ class }}')
            then translate({{ expression }}, '{{ source | replace("'", "''") }}', '{{ target | replace("'", "''") }}')
        else {{ expression }}
    end
{%- endmacro %}

{# Spark's translate keeps its map while the arguments are constant: no guard needed. #}
{% macro spark__rule_text(expression, trimmed=true) -%}
    {%- set table = rule_text_table() -%}
    {{ 'trim(' if trimmed }}translate(translate({{ expression }},
        '{{ _spark_literal(table["rare_source"]) }}', '{{ _spark_literal(table["rare_target"]) }}'),
        '{{ _spark_literal(table["common_source"]) }}', '{{ _spark_literal(table["common_target"]) }}'){{ ')' if trimmed }}
{%- endmacro %}

{% macro _spark_literal(text) -%}
    {{- text | replace('\\', '\\\\') | replace("'", "\\'") -}}
{%- endmacro %}

{# The original spelling of the first occurrence of `folded_needle` (a comparison form) in the
   text `original`, found in its untrimmed fold (same positions); null when it does not occur.
   Only evaluated for evidence rows. #}
{% macro rule_text_as_written(original, folded_needle) -%}
    {%- set folded = rule_text(original, trimmed=false) -%}
    case
        when instr({{ folded }}, {{ folded_needle }}) > 0 then substr(
            {{ original }}, instr({{ folded }}, {{ folded_needle }}), length({{ folded_needle }})
        )
    end
{%- endmacro %}
