{# DATA-06 per campaign and customers column listed in its data_fields_used (comma list, trimmed):
   a finding when the column's declared purposes (config/field_purposes.yaml, through
   field_inventory for source customers) do not include rule_parameters DATA-06
   required_purpose. A column the inventory does not know has no declared purpose: a finding.
   Column names and purposes compared in their rule_text form (GPS_Location is gps_location). #}
with campaigns as (
    select campaign_id, data_fields_used from {{ ref('stg_protected__campaigns') }}
),

fields_used as (
    select campaign_id, {{ rule_text('column_name') }} as column_name
    from (
        {{ split_list_rows('campaigns', ['campaign_id'], 'data_fields_used', 'column_name') }}
    ) as listed
),

customer_columns as (
    select
        column_name,
        max(declared_purposes) as declared_purposes
    from {{ ref('field_inventory') }}
    where source_name = 'customers'
    group by column_name
),

required as (
    select {{ rule_text(rule_param('DATA-06', 'required_purpose', type=dbt.type_string())) }} as purpose
),

judged as (
    select distinct
        fields_used.campaign_id,
        fields_used.column_name,
        customer_columns.declared_purposes,
        required.purpose as required_purpose,
        coalesce(
            concat(',', replace({{ rule_text('customer_columns.declared_purposes') }}, ' ', ''), ',')
                like concat('%,', required.purpose, ',%'),
            false
        ) as has_required_purpose
    from fields_used
    cross join required
    left join customer_columns
        on fields_used.column_name = customer_columns.column_name
)

select
    concat(campaign_id, ':', column_name) as subject,
    campaign_id,
    column_name,
    declared_purposes,
    not has_required_purpose as violates_data_06,
    case when not has_required_purpose then concat(
        'campaign uses customers.', column_name, ' declared for ',
        coalesce(nullif(declared_purposes, ''), 'no purpose'),
        '; ', required_purpose, ' not among them'
    ) end as evidence_data_06,
    cast('{{ batch_date() }}' as date) as batch_date
from judged
