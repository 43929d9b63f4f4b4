{# Every marketing message of every batch up to and including the batch date (each batch is a
   full extract): the retention register sees keys that disappeared from later extracts. #}
with source as (
    select * from {{ source('restricted', 'marketing_messages') }}
    where batch_date <= date '{{ batch_date() }}'
)

select
    message_id,
    customer_token,
    sent_at,
    batch_date
from source
