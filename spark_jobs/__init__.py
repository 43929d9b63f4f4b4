"""Spark batch jobs of CRM Guard (one package per job; session building is shared)."""
