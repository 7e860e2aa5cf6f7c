"""Parameter schemas for commands: built as OpenAI *strict* JSON schemas, and checked here.

Pure module: no frappe import. OpenAI's strict mode wants every object to list all its properties as
required with `additionalProperties: false`; an optional parameter is a required one that may be
null. The model's arguments are still validated before anything runs: strict mode does not hold for
every model or for parallel calls, and `/command` shortcuts bypass the model entirely.

Only the subset of JSON Schema that commands use is supported: string (with enum, date format,
length), integer, number (with minimum/maximum), boolean, arrays of those or of objects, objects.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from whatsapp_chatbot.msgids import _

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # OpenAI: ≤64 chars of a-zA-Z0-9_-


@dataclass
class Param:
	type: str  # string | integer | number | boolean | date | array | object
	description: str
	required: bool = True
	enum: list | None = None
	minimum: float | None = None
	maximum: float | None = None
	max_length: int | None = None
	items: Param | None = None  # for arrays
	properties: dict[str, Param] = field(default_factory=dict)  # for objects
	min_items: int | None = None

	def schema(self) -> dict:
		if self.type == "date":
			# the model learns the format once, from the instructions (interpreter/prompt.py)
			schema: dict = {"type": "string", "format": "date"}
		elif self.type == "object":
			schema = object_schema(self.properties)
		else:
			schema = {"type": self.type}
		if self.description and "description" not in schema:
			schema["description"] = self.description
		if self.enum is not None:
			schema["enum"] = list(self.enum)
		if self.type == "array" and self.items is not None:
			schema["items"] = self.items.schema()
			if self.min_items is not None:
				schema["minItems"] = self.min_items
		for key, value in (
			("minimum", self.minimum),
			("maximum", self.maximum),
			("maxLength", self.max_length),
		):
			if value is not None:
				schema[key] = value
		if not self.required:
			schema["type"] = [schema["type"], "null"]
			if "enum" in schema:
				schema["enum"] = [*schema["enum"], None]
		return schema


def object_schema(properties: dict[str, Param]) -> dict:
	return {
		"type": "object",
		"properties": {name: param.schema() for name, param in properties.items()},
		"required": list(properties),
		"additionalProperties": False,
	}


# Checked here but not sent: OpenAI's strict mode rejects or ignores length and numeric bounds on
# some models, and every token of the tools block is paid on every call.
VALIDATION_ONLY = frozenset({"minimum", "maximum", "maxLength", "minItems", "format"})


def for_model(schema: Any) -> Any:
	"""The schema as sent to the model: the same shape without validation-only keywords."""
	if isinstance(schema, dict):
		return {k: for_model(v) for k, v in schema.items() if k not in VALIDATION_ONLY}
	if isinstance(schema, list):
		return [for_model(v) for v in schema]
	return schema


def validate(value: Any, schema: dict, path: str = "arguments") -> list[str]:
	"""Every way `value` breaks `schema`, as readable sentences (empty list: valid)."""
	errors: list[str] = []
	types = schema.get("type")
	types = types if isinstance(types, list) else [types]
	if value is None:
		if "null" not in types:
			errors.append(_("{path} is required").format(path=path))
		return errors
	kind = _json_type(value)
	if not any(_matches(kind, t) for t in types if t != "null"):
		errors.append(
			_("{path} must be {types}, not {kind}").format(
				path=path, types=" | ".join(t for t in types if t != "null"), kind=kind
			)
		)
		return errors
	if "enum" in schema and value not in schema["enum"]:
		errors.append(
			_("{path} must be one of {values}").format(
				path=path, values=", ".join(repr(v) for v in schema["enum"] if v is not None)
			)
		)
	if kind == "string":
		if "maxLength" in schema and len(value) > schema["maxLength"]:
			errors.append(
				_("{path} is longer than {count} characters").format(path=path, count=schema["maxLength"])
			)
		if schema.get("format") == "date" and not _is_date(value):
			errors.append(_("{path} must be a date as YYYY-MM-DD").format(path=path))
	if kind in ("integer", "number"):
		if "minimum" in schema and value < schema["minimum"]:
			errors.append(_("{path} must be at least {minimum}").format(path=path, minimum=schema["minimum"]))
		if "maximum" in schema and value > schema["maximum"]:
			errors.append(_("{path} must be at most {maximum}").format(path=path, maximum=schema["maximum"]))
	if kind == "array":
		if "minItems" in schema and len(value) < schema["minItems"]:
			errors.append(
				_("{path} needs at least {count} item(s)").format(path=path, count=schema["minItems"])
			)
		for index, item in enumerate(value):
			errors += validate(item, schema.get("items", {}), f"{path}[{index}]")
	if kind == "object":
		properties = schema.get("properties", {})
		if schema.get("additionalProperties") is False:
			errors += [
				_("{path} is not a known parameter").format(path=f"{path}.{name}")
				for name in value
				if name not in properties
			]
		for name in schema.get("required", []):
			if name not in value:
				sub = properties.get(name, {})
				nullable = isinstance(sub.get("type"), list) and "null" in sub["type"]
				if not nullable:
					errors.append(_("{path} is required").format(path=f"{path}.{name}"))
		for name, sub in properties.items():
			if name in value:
				errors += validate(value[name], sub, f"{path}.{name}")
	return errors


def with_defaults(value: dict, schema: dict) -> dict:
	"""Fill optional parameters the caller left out with None, so handlers get every name."""
	return {name: value.get(name) for name in schema.get("properties", {})} | {
		k: v for k, v in value.items() if k in schema.get("properties", {})
	}


def _json_type(value: Any) -> str:
	if isinstance(value, bool):
		return "boolean"
	if isinstance(value, int):
		return "integer"
	if isinstance(value, float):
		return "number"
	if isinstance(value, str):
		return "string"
	if isinstance(value, list):
		return "array"
	if isinstance(value, dict):
		return "object"
	return type(value).__name__


def _matches(kind: str, expected: str) -> bool:
	return kind == expected or (expected == "number" and kind == "integer")


def _is_date(value: str) -> bool:
	try:
		datetime.date.fromisoformat(value)
	except ValueError:
		return False
	return True
