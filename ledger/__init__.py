"""forecast-ledger: forecasts as YAML, stored append-only in DuckDB, scored and calibrated.

The package is a library first; ``ledger.faces.cli`` and ``dashboard/`` are thin faces over it.
Importing ``ledger`` is cheap on purpose: the CLI's cold start depends on it.
"""

__version__ = "0.1.0"
