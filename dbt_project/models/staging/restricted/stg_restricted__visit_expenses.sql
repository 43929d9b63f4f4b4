{# Visit expenses of the restricted layer for the batch date. `expects`: the landing contract's
   columns in their restricted form, which the rule models read; then every other column the
   partition holds (macros/stage_source.sql). #}
{{ config(meta={'expects': [
    'expense_id text',
    'sales_rep_id text',
    'customer_org text',
    'counterpart_role text',
    'expense_type text',
    'amount decimal',
    'invoice_no text',
    'visited_at timestamptz',
]}) }}

{{ stage_source('restricted', 'visit_expenses') }}
