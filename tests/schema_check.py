"""A tiny JSON Schema validator for the subset record-1.schema.json uses (no extra dependency).

Supports: type (name or list), const, enum, pattern, minLength, properties, required,
additionalProperties (false or a schema), maxProperties, items, minItems, maxItems, anyOf and
local `$ref` to `#/$defs/...`. When the `jsonschema` package is installed, records are also
checked with it, so this subset cannot drift from the standard's meaning unnoticed.
"""

from __future__ import annotations

import re
from typing import Any

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _type_ok(value: object, name: str) -> bool:
    if name == "integer":
        return type(value) is int
    if name == "number":
        return type(value) in (int, float)
    return isinstance(value, _TYPES[name])


def _check(value: object, schema: dict[str, Any], root: dict[str, Any], where: str) -> None:
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        _check(value, target, root, where)
    if "anyOf" in schema:
        errors = []
        for option in schema["anyOf"]:
            try:
                _check(value, option, root, where)
                break
            except ValueError as err:
                errors.append(str(err))
        else:
            raise ValueError(f"{where}: no anyOf option matches ({'; '.join(errors)})")
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_type_ok(value, n) for n in names):
            raise ValueError(f"{where}: not of type {names}")
    if "const" in schema and not (value == schema["const"] and type(value) is type(schema["const"])):
        raise ValueError(f"{where}: not {schema['const']!r}")
    if "enum" in schema and not any(value == e and type(value) is type(e) for e in schema["enum"]):
        raise ValueError(f"{where}: not one of {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise ValueError(f"{where}: does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            raise ValueError(f"{where}: too short")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                raise ValueError(f"{where}: lacks {key}")
        if len(value) > schema.get("maxProperties", len(value)):
            raise ValueError(f"{where}: too many members")
        props = schema.get("properties", {})
        for key, item in value.items():
            if key in props:
                _check(item, props[key], root, f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                raise ValueError(f"{where}: unknown member {key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                _check(item, schema["additionalProperties"], root, f"{where}.{key}")
    if isinstance(value, list):
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
            raise ValueError(f"{where}: wrong number of items")
        if "items" in schema:
            for i, item in enumerate(value):
                _check(item, schema["items"], root, f"{where}[{i}]")


def validate(instance: object, schema: dict[str, Any]) -> None:
    """Raise `ValueError` unless `instance` matches `schema` (and, if installed, jsonschema agrees)."""
    _check(instance, schema, schema, "$")
    try:
        import jsonschema
    except ImportError:
        return
    try:
        jsonschema.validate(instance, schema)
    except jsonschema.ValidationError as err:
        raise ValueError(f"jsonschema: {err.message}") from None
