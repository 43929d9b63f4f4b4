{# Campaigns of the protected layer for the batch date. `expects`: the columns the analyst marts
   read from it (marketing_message_log, campaign_field_use); then every other column the partition
   holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'campaign_id text',
    'purpose text',
    'data_fields_used text',
]}) }}

{{ stage_source('protected', 'campaigns') }}
