{# Orders of the restricted layer for the batch date. `expects`: the landing contract's
   columns in their restricted form, which the rule models read; then every other column the
   partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'order_id text',
    'customer_token text from customer_id',
    'product_id text',
    'product_category text',
    'list_price decimal',
    'charged_price decimal',
    'member_tier_at_order text',
    'promo_code text',
    'sales_channel text',
    'ordered_at timestamptz',
    'delivered_at timestamptz',
    'return_requested_at timestamptz',
    'return_status text',
    'return_reject_reason text',
]}) }}

{{ stage_source('restricted', 'orders') }}
