"""The ledger file: DuckDB schema, the append-only hash-chained log, forecast order."""
