"""The file format: what a forecast file and each of its values mean
(probabilities, dates, models, the YAML loader)."""
