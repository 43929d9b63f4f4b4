{# Every contract of every batch up to and including the batch date (each batch is a full
   extract): the retention register sees keys that disappeared from later extracts. #}
with source as (
    select * from {{ source('restricted', 'contracts') }}
    where batch_date <= date '{{ batch_date() }}'
)

select
    contract_id,
    customer_token,
    signed_at,
    batch_date
from source
