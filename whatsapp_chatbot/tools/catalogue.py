"""Every command there is (built in, plus enabled Chatbot Command Definitions), and the ones a
given user may see. The model is offered exactly `for_user(user)`, in a stable order so the tools
block of the prompt stays byte-identical between turns (OpenAI's prompt cache needs that)."""

from __future__ import annotations

from whatsapp_chatbot import permissions
from whatsapp_chatbot.tools import definitions
from whatsapp_chatbot.tools.registry import REGISTRY, Command


def _load_builtins() -> dict[str, Command]:
	# importing the modules registers their commands
	from whatsapp_chatbot.tools import (
		approvals,
		bills,
		charts,
		documents,
		erpnext,
		exports,
		generic,
		media,
		subscriptions,
		writes,
	)

	return REGISTRY


def builtin_names() -> set[str]:
	return set(_load_builtins())


def all_commands() -> dict[str, Command]:
	commands = dict(_load_builtins())
	for command in definitions.load():
		commands.setdefault(command.name, command)
	return commands


def for_user(user: str, contact: str | None = None) -> list[Command]:
	"""With `contact`: the commands that can run remotely carry a `site` parameter listing the
	remote sites this contact may use (none: no parameter at all)."""
	sites, default = _sites(contact)
	commands = all_commands()
	offered = permissions.offered_commands(commands, user)
	return [c.for_sites(sites, default) for name, c in sorted(commands.items()) if name in offered]


def for_roles(roles) -> list[Command]:
	"""What a user holding exactly `roles` would be offered (no remote sites): an evaluation case
	that names roles rather than a User (permissions.command_allowed_for_roles)."""
	return [c for _, c in sorted(all_commands().items()) if permissions.command_allowed_for_roles(c, roles)]


def find(name: str, user: str, contact: str | None = None) -> Command | None:
	command = all_commands().get(name)
	if not command or not permissions.command_allowed(command, user):
		return None
	return command.for_sites(*_sites(contact))


def _sites(contact: str | None) -> tuple[list[str], str | None]:
	sites = permissions.remote_sites(contact)
	return sites, permissions.default_remote_site(contact) if sites else None
