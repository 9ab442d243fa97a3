"""Ways in: YAML import, CSV/Parquet bulk import,
the actions the CLI and the forms call, the demo builder."""
