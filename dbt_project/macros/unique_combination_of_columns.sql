{# a grain of several columns is unique (no dbt_utils: the project installs no packages) #}
{% test unique_combination_of_columns(model, combination_of_columns) %}
with grains as (
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
)
select * from grains where occurrences > 1
{% endtest %}
