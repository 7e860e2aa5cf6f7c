"""Arguments of slash commands (`/stock_balance TORN-M8 warehouse="Tienda Centro"`), converted to
the types of the command's schema. Pure module: no frappe import."""

from __future__ import annotations

import json
import shlex

from whatsapp_chatbot.msgids import _


class ArgumentError(ValueError):
	pass


def parse(text: str) -> tuple[str, str] | None:
	"""("name", "rest") for "/name rest", None for ordinary text."""
	text = (text or "").strip()
	if not text.startswith("/") or len(text) < 2:
		return None
	name, _, rest = text[1:].partition(" ")
	return name.strip().lower(), rest.strip()


def parse_arguments(rest: str, schema: dict) -> dict:
	"""Pure: the argument text as a dict, values converted to the schema's types."""
	if not rest:
		return {}
	if rest.startswith("{"):
		try:
			value = json.loads(rest)
		except ValueError as e:
			raise ArgumentError(_("not valid JSON: {error}").format(error=e))
		if not isinstance(value, dict):
			raise ArgumentError(_("give a JSON object"))
		return value
	try:
		tokens = shlex.split(rest)
	except ValueError as e:
		raise ArgumentError(str(e))
	properties = schema.get("properties", {})
	names = list(properties)
	result, position = {}, 0
	for token in tokens:
		key, sep, value = token.partition("=")
		if sep and key in properties:
			result[key] = _convert(value, properties[key])
			continue
		while position < len(names) and names[position] in result:
			position += 1
		if position >= len(names):
			raise ArgumentError(_("too many values: {value}").format(value=repr(token)))
		result[names[position]] = _convert(token, properties[names[position]])
		position += 1
	return result


def _convert(value: str, schema: dict):
	types = schema.get("type")
	types = types if isinstance(types, list) else [types]
	if value.lower() in ("null", "none", "") and "null" in types:
		return None
	if "integer" in types:
		try:
			return int(value)
		except ValueError:
			pass
	if "number" in types:
		try:
			return float(value)
		except ValueError:
			pass
	if "boolean" in types and value.lower() in ("true", "false", "yes", "no", "1", "0", "si", "sí"):
		return value.lower() in ("true", "yes", "1", "si", "sí")
	if "array" in types or "object" in types:
		try:
			return json.loads(value)
		except ValueError:
			raise ArgumentError(_("{value} should be JSON").format(value=repr(value)))
	return value
