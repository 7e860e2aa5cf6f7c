"""Hashes of what shapes an evaluation. Pure module: no frappe import.

- `fingerprint`: the instructions and every built-in tool's name, description and parameters, as
  the model is sent them. Each run stores it, so a change to the prompt or to any tool description
  shows as "no run on record" until someone evaluates it (evaluation/gate.py).
- `content_hash`: what a case asks and expects. A starter case remembers the hash of the version
  the app shipped; when its content still has that hash nobody edited it, and a newer shipped
  version may replace it (the DocType's prepare_for_import).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

# what a case asks and expects (not its id, nor bookkeeping such as starter_hash)
CASE_FIELDS = (
	"title",
	"enabled",
	"tags",
	"language",
	"run_as",
	"roles",
	"expect",
	"expected_command",
	"expected_arguments",
	"simulated_results",
	"answer_contains",
	"today",
	"source_command",
	"notes",
)
JSON_FIELDS = frozenset({"expected_arguments", "simulated_results"})


def fingerprint(instructions: str, tools: Sequence[Mapping]) -> str:
	return _digest({"instructions": instructions, "tools": list(tools)})


def content_hash(values: Mapping, messages: Sequence[Mapping]) -> str:
	return _digest(
		{
			"fields": {name: _value(name, values.get(name)) for name in CASE_FIELDS},
			"messages": [[m.get("role") or "", m.get("content") or ""] for m in messages],
		}
	)


def _value(name: str, value):
	if name == "enabled":
		return int(value if value is not None else 1)
	if value is None:
		return ""
	if name in JSON_FIELDS and isinstance(value, str) and value.strip():
		try:
			return json.loads(value)  # the same JSON however it is spaced
		except ValueError:
			return value
	return str(value)


def _digest(value) -> str:
	text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
	return hashlib.sha256(text.encode()).hexdigest()[:16]
