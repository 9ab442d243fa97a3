"""Importers from other forecasting platforms: one more door into the ledger, with its rules.

Each platform module (``fatebook``, ``predictionbook``, ``gjp``, ``metaculus``) turns an export
of that platform into forecast-file documents (the dicts a YAML file holds);
:mod:`ledger.ingest.platforms.common` validates them with the same models and imports them with
the same planner as ``forecast-ledger import forecasts/``.
"""

# The registry of doors: ``import --from`` and the dashboard's select box are built from it.
# Kept here, free of imports, so the CLI's --help does not load DuckDB to list them.
PLATFORMS = ("fatebook", "predictionbook", "gjp", "metaculus")
PLATFORM_TITLES = {"fatebook": "Fatebook", "predictionbook": "PredictionBook",
                   "gjp": "Good Judgment Project", "metaculus": "Metaculus"}
