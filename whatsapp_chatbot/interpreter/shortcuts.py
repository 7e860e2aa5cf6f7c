"""Slash commands that need no model (and spend no tokens): /help, /whoami, /cancel, /subscriptions,
and `/<command> args` for people who know what they want.

Arguments: `/stock_balance TORN-M8`, `/stock_balance item=TORN-M8 warehouse="Stores - CTC"`, or a
JSON object `/create_todo {"description": "llamar a Acme"}`. Positional values fill the command's
parameters in order. They are validated like the model's, and writes still ask for confirmation.
"""

from __future__ import annotations

import frappe

from whatsapp_chatbot import permissions, texts
from whatsapp_chatbot.channel import outgoing
from whatsapp_chatbot.charts import slash as chart_slash
from whatsapp_chatbot.executors import dispatch
from whatsapp_chatbot.executors import long as long_commands
from whatsapp_chatbot.interpreter.arguments import ArgumentError, parse, parse_arguments
from whatsapp_chatbot.media import current as current_media
from whatsapp_chatbot.subscriptions import records as subscription_records
from whatsapp_chatbot.tools import catalogue, confirmation

# the user's list of reports that arrive by themselves (subscriptions/records.listing)
SUBSCRIPTIONS = frozenset({"subscriptions", "suscripciones", "assinaturas"})
# short names people type for a command (/pending, /pendientes, /pendentes)
ALIASES = {
	"pending": "pending_approvals",
	"pendientes": "pending_approvals",
	"pendentes": "pending_approvals",
}


def run(turn, name: str, rest: str) -> list[dict]:
	language, user = turn.language, turn.contact.user
	if name == "help":
		return [outgoing.text(help_text(user, language, turn.contact.name))]
	if name == "whoami":
		roles = sorted(r for r in frappe.get_roles(user) if r not in ("All", "Guest", "Desk User"))
		full_name = frappe.db.get_value("User", user, "full_name") or user
		return [
			outgoing.text(
				texts.text(
					"whoami", language, full_name=full_name, user=user, roles=", ".join(roles), lang=language
				)
			)
		]
	if name in ("cancel", "cancelar"):
		return cancel(turn)
	if name in ("status", "estado"):
		return long_commands.status(turn)
	if name in SUBSCRIPTIONS:  # the user's own list: no command, no model, no tokens
		return [outgoing.text(subscription_records.listing(user, language))]
	name = ALIASES.get(name, name)
	if chart_slash.is_chart(name):  # "/chart ventas mes" is "/sales_chart by=month"
		name, rest = chart_slash.resolve(rest)
		if name is None or catalogue.find(name, user) is None:
			return [outgoing.text(texts.text("not_permitted" if name else "chart_usage", language))]
	command = catalogue.find(name, user, turn.contact.name)
	if command is None:
		return [outgoing.text(texts.text("unknown_command", language, name=name))]
	try:
		arguments = parse_arguments(rest, command.schema)
	except ArgumentError as e:
		return [outgoing.text(texts.text("command_failed", language, error=str(e)))]
	arguments, errors = command.check(arguments)
	if not errors:  # "/attach_media_to_document Sales Order SO-1" uses the photo just sent
		arguments, missing = current_media.bind(turn, command, arguments)
		errors = [missing] if missing else []
	if errors:
		return [outgoing.text(texts.text("command_failed", language, error="; ".join(errors)))]
	return dispatch.dispatch(turn, command, arguments).user_replies(language)


def cancel(turn) -> list[dict]:
	"""A pending confirmation first; else the running or queued long command."""
	if confirmation.has_pending(turn.contact.name):
		return confirmation.handle_typed(turn, yes=False)
	return long_commands.cancel_latest(turn) or confirmation.handle_typed(turn, yes=False)


def help_text(user: str, language: str, contact: str | None = None) -> str:
	lines = [texts.text("help_header", language)]
	for command in catalogue.for_user(user, contact):
		first = next(iter(command.params), None)
		usage = f" {first}=…" if first else ""
		described = texts.command_help(command.name, command.description, language)
		lines.append(f"• /{command.name}{usage} — {described}")
	lines.append(f"• /subscriptions — {texts.command_help('subscriptions', '', language)}")
	lines += ["• /status", "• /cancel", "• /whoami", f"• /human — {texts.text('help_human', language)}"]
	sites = permissions.remote_sites(contact)
	if sites:
		lines.append(texts.text("help_sites", language, sites=", ".join(sites), example=sites[0]))
	return "\n".join(lines)
