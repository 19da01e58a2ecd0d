"""Check identity records against the published record-1 JSON Schema.

The schema ships in the package (`attestverify/data/record-1.schema.json`) and is what docs/records.md
pins; `jsonschema` (from the `test` extra) is the independent validator, so a record that the library
writes and the schema forbids fails here, whichever of the two is wrong.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema

SCHEMA: dict[str, Any] = json.loads(
    resources.files("attestverify").joinpath("data/record-1.schema.json").read_text("utf-8")
)
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def validate(instance: object, schema: dict[str, Any] = SCHEMA) -> None:
    """Raise `ValueError` unless `instance` matches `schema` (the record-1 schema by default)."""
    validator = _VALIDATOR if schema is SCHEMA else jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        raise ValueError(f"record-1 schema: {errors[0].message} at {list(errors[0].path)}")
