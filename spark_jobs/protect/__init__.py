"""The protect job: raw Parquet + catalog + policy → protected, restricted and vault outputs."""
