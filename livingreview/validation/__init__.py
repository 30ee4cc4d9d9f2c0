"""Validation of ``data/`` (``make check-data``): every curated table and YAML file, the search
record and the eligibility of every study folder, as problems naming file, row and column."""
