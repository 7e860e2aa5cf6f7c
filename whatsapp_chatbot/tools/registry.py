"""The command registry: what the model may call, described once for the model, the validator,
the shortcuts and the Desk.

Pure module: no frappe import. A command names the DocTypes it reads or writes; whether a given user
sees it is decided in permissions.py from those DocTypes and the roles listed here, so the model is
only ever offered what the user may do.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from whatsapp_chatbot.tools.schema import (
	NAME_PATTERN,
	Param,
	for_model,
	object_schema,
	validate,
	with_defaults,
)

READ, WRITE, LONG = "Read", "Write", "Long"
SITE = "site"  # the parameter naming the remote site a command runs on (executors/remote.py)
LOCAL_SITE = "local"  # in that parameter: this site


@dataclass
class Result:
	"""What a command produced: `text` for the user, `data` in short form for the model."""

	text: str
	data: Any = None
	attachment: tuple[str, bytes, str] | None = None  # (filename, content, mime type)

	def for_model(self, limit: int = 3000) -> str:
		"""The tool result sent back to the model: compact JSON, cut to keep the prompt small."""
		payload = self.data if self.data is not None else self.text
		text = (
			payload
			if isinstance(payload, str)
			else json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":"))
		)
		return text if len(text) <= limit else text[: limit - 20] + "…(truncated)"


@dataclass
class Command:
	name: str
	description: str
	params: dict[str, Param]
	handler: Callable[..., Result]
	kind: str = READ
	doctypes: tuple[str, ...] = ()  # DocTypes the user must be allowed to read (Read) or create (Write)
	roles: tuple[str, ...] = ()  # if set, the user needs one of them as well
	preview: Callable[..., str] | None = None  # for writes: what will happen, before it happens
	source: str = "builtin"
	extra: dict = field(default_factory=dict)
	remote: bool = False  # reaches data only through tools/data.py, so it can run on a remote site

	def __post_init__(self):
		if not NAME_PATTERN.match(self.name):
			raise ValueError(f"command name {self.name!r} must be lowercase letters, digits and _")
		if self.kind == WRITE and self.preview is None:
			raise ValueError(f"write command {self.name} needs a preview")

	@property
	def needs_confirmation(self) -> bool:
		"""Writes, and admin-defined commands that ask for it, wait for the user's Confirm."""
		return self.kind == WRITE or bool(self.extra.get("needs_confirmation"))

	def for_sites(self, sites: list[str], default: str | None) -> Command:
		"""This command as offered to a contact who may use these remote sites: with a `site`
		parameter (an enum of exactly those sites, plus "local") when it can run remotely, else
		saying it runs here only. No sites: the command unchanged."""
		if not sites:
			return self
		if not self.remote:
			return dataclasses.replace(self, description=f"{self.description} This site only.")
		where = Param(
			"string",
			f"where to run; null: {default or LOCAL_SITE}",
			required=False,
			enum=[LOCAL_SITE, *sites],
		)
		return dataclasses.replace(self, params={**self.params, SITE: where})

	@property
	def schema(self) -> dict:
		return object_schema(self.params)

	def tool(self) -> dict:
		"""Chat Completions tool definition, strict."""
		return {
			"type": "function",
			"function": {
				"name": self.name,
				"description": self.description,
				"parameters": for_model(self.schema),
				"strict": True,
			},
		}

	def check(self, arguments: Any) -> tuple[dict, list[str]]:
		"""Validated arguments with every optional name present, and the errors found."""
		if not isinstance(arguments, dict):
			return {}, ["arguments must be a JSON object"]
		errors = validate(arguments, self.schema)
		return with_defaults(arguments, self.schema), errors


def without_site(arguments: dict) -> dict:
	"""The handler's arguments: `site` says where a command runs, it is not the command's own."""
	return {k: v for k, v in arguments.items() if k != SITE}


REGISTRY: dict[str, Command] = {}


def command(name: str, description: str, params: dict[str, Param] | None = None, **options):
	"""Register a built-in command: `@command("stock_balance", "…", {"item": Param(...)})`."""

	def register(handler: Callable[..., Result]) -> Callable[..., Result]:
		if name in REGISTRY:
			raise ValueError(f"command {name} registered twice")
		REGISTRY[name] = Command(
			name=name, description=description, params=params or {}, handler=handler, **options
		)
		return handler

	return register


def parse_arguments(raw: str | None) -> tuple[Any, str | None]:
	"""The model's argument string as JSON, or the reason it is not."""
	try:
		return json.loads(raw or "{}"), None
	except ValueError as e:
		return None, f"arguments are not valid JSON: {e}"
