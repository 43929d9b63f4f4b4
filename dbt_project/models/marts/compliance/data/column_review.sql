{# DATA-01 and DATA-02 per source column (config/rules.yaml), from field_inventory collapsed to one
   row per source column:
   DATA-01 a collected column without a declared purpose (config/field_purposes.yaml). A column
   is collected when the extract holds a value in it: the classifier's sample of non-null values
   (generated source meta `sample_size`, from the catalog) is not empty. A column whose meta does
   not say so counts as collected (fail closed).
   DATA-02 a column without an entity or a tier, UNCLASSIFIED, or dropped by the classifier
   (protection `drop`: unclassified or under the confidence floor), or a column the marts expect
   from it that the batch does not provide (staging_column_gaps: another form, or the column is
   not in the batch; staging reads it as null). #}
{%- set sampled = data_column_samples() %}

with inventory as (
    select * from {{ ref('field_inventory') }}
),

gaps as (
    select
        source_name,
        source_column as column_name,
        {{ sorted_list('reason') }} as gap_reason
    from {{ ref('staging_column_gaps') }}
    group by source_name, source_column
),

columns_reviewed as (
    select
        source_name,
        column_name,
        max(entity) as entity,
        max(tier) as tier,
        max(protection) as protection,
        max(declared_purposes) as declared_purposes,
        max(protected_form) as protected_form,
        max(case when has_declared_purpose then 1 else 0 end) = 1 as has_declared_purpose,
        max(case when mart_name is not null then 1 else 0 end) = 1 as reaches_marts
    from inventory
    group by source_name, column_name
),

columns_with_gaps as (
    select
        coalesce(columns_reviewed.source_name, gaps.source_name) as source_name,
        coalesce(columns_reviewed.column_name, gaps.column_name) as column_name,
        columns_reviewed.entity,
        columns_reviewed.tier,
        columns_reviewed.protection,
        columns_reviewed.declared_purposes,
        columns_reviewed.protected_form,
        coalesce(columns_reviewed.has_declared_purpose, false) as has_declared_purpose,
        coalesce(columns_reviewed.reaches_marts, false) as reaches_marts,
        columns_reviewed.column_name is not null as is_in_batch,
        gaps.gap_reason
    from columns_reviewed
    full outer join gaps
        on columns_reviewed.source_name = gaps.source_name
        and columns_reviewed.column_name = gaps.column_name
),

judged as (
    select
        columns_with_gaps.*,
        is_in_batch and
        {%- if sampled %}
        case concat(source_name, '.', column_name)
            {%- for key, size in sampled.items() | sort %}
            when '{{ key }}' then {{ 'true' if size > 0 else 'false' }}
            {%- endfor %}
            else true
        end
        {%- else %}
        true
        {%- endif %} as is_collected,
        (
            entity is null
            or tier is null
            or entity = 'UNCLASSIFIED'
            or protection = 'drop'
            or gap_reason is not null
        ) as violates_data_02
    from columns_with_gaps
)

select
    concat(source_name, '.', column_name) as subject,
    source_name,
    column_name,
    entity,
    tier,
    protection,
    declared_purposes,
    protected_form,
    reaches_marts,
    is_collected,
    (is_collected and not has_declared_purpose) as violates_data_01,
    violates_data_02,
    case when is_collected and not has_declared_purpose then concat(
        'collected column without a declared purpose in config/field_purposes.yaml',
        case when reaches_marts then '; reaches marts' else '; reaches no mart' end
    ) end as evidence_data_01,
    case when violates_data_02 then concat(
        'entity=', coalesce(entity, 'none'),
        '; tier=', coalesce(tier, 'none'),
        '; protection=', coalesce(protection, 'none'),
        case when protection = 'drop'
            then '; unclassified or under the confidence floor: dropped from protected output'
            else '' end,
        case when reaches_marts then '; exposed by a mart' else '' end,
        case when gap_reason is not null
            then concat('; marts expect a column the batch does not provide: ', gap_reason)
            else '' end
    ) end as evidence_data_02,
    cast('{{ batch_date() }}' as date) as batch_date
from judged
