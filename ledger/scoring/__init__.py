"""Scoring: the metrics (numpy only) and the selection of what gets scored (SQL)."""
