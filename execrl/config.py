"""Validate a workflow config against its JSON schema, fill defaults, and explain what is wrong.

Snakemake's own ``validate`` reports jsonschema's raw messages; a researcher who typed
``sandbox.timout_s`` deserves to be told which key is unknown and which keys exist.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import yaml

class ConfigError(ValueError):
    """The config does not satisfy the schema; the message lists every problem and its fix."""


def load_schema(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def validate_config(config: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``config`` with defaults filled in, or raise ConfigError naming each problem."""
    filled = copy.deepcopy(config)
    _fill_defaults(filled, schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=_format_checker())
    errors = sorted(validator.iter_errors(filled), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = [_explain(error, schema) for error in errors]
        raise ConfigError("invalid config:\n" + "\n".join(f"  - {line}" for line in lines))
    return filled


def _fill_defaults(node: Any, schema: dict[str, Any]) -> None:
    if not isinstance(node, dict):
        return
    for key, sub in schema.get("properties", {}).items():
        if key not in node and "default" in sub:
            node[key] = copy.deepcopy(sub["default"])
        if key in node:
            _fill_defaults(node[key], sub)


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()

    @checker.checks("existing-file")
    def _existing_file(value: object) -> bool:
        return not isinstance(value, str) or Path(value).is_file()

    return checker


def _dotted(path: Any) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _subschema(schema: dict[str, Any], path: list[Any]) -> dict[str, Any]:
    for key in path:
        schema = schema.get("properties", {}).get(key, {})
    return schema


def _explain(error: jsonschema.ValidationError, schema: dict[str, Any]) -> str:
    path = list(error.absolute_path)
    where = _dotted(path)
    if error.validator == "additionalProperties":
        allowed = sorted(_subschema(schema, path).get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        keys = ", ".join(_dotted(path + [k]) if path else k for k in unknown)
        return f"unknown key {keys}; allowed keys under {where}: {', '.join(allowed)}"
    if error.validator == "format" and error.validator_value == "existing-file":
        hint = _subschema(schema, path).get("description", "").strip()
        return f"{where}: file not found: {error.instance!r}. {hint}".strip()
    if error.validator == "type":
        return (
            f"{where}: expected {error.validator_value}, got {type(error.instance).__name__} "
            f"{error.instance!r}"
        )
    return f"{where}: {error.message}"
