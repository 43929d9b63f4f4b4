{# Every order of every batch up to and including the batch date (each batch is a full extract):
   the retention register sees keys that disappeared from later extracts. #}
with source as (
    select * from {{ source('restricted', 'orders') }}
    where batch_date <= date '{{ batch_date() }}'
)

select
    order_id,
    customer_token,
    ordered_at,
    delivered_at,
    batch_date
from source
