"""Classification of CRM columns into PII entities, tiers and protection classes (issue 3)."""
