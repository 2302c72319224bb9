"""Forms: the form model, its YAML/JSON format and schema, and importers from tabular layouts."""

from __future__ import annotations

from ._importer import import_grid, join_target, strip_html
from .document import form_from_document, form_to_dict, form_to_yaml
from .loading import READERS, is_form_file, load_form, load_forms, validate_form_file
from .model import Form, FundsRow, ImportNote, Indicator, Provenance
from .schema import FORM_SCHEMA, validate

__all__ = [
    "FORM_SCHEMA",
    "READERS",
    "Form",
    "FundsRow",
    "ImportNote",
    "Indicator",
    "Provenance",
    "form_from_document",
    "form_to_dict",
    "form_to_yaml",
    "import_grid",
    "is_form_file",
    "join_target",
    "load_form",
    "load_forms",
    "strip_html",
    "validate",
    "validate_form_file",
]
