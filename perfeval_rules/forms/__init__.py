"""Forms: the form model, its YAML/JSON format, and importers from tabular layouts."""
