"""Conversation memory for the model: the last `history_turns` exchanges of the conversation.

Each past turn is the user's text and what we answered, with the commands run in that turn in
short form ("stock_balance(item=TORN-M8) → TORN-M8 stock: 150 Nos"), so the model can refer back
("and in the other warehouse?") without replaying whole tool results.
"""

from __future__ import annotations

import json

import frappe
from frappe.query_builder import Order

MESSAGE = "Chatbot Message"
RESULT_CHARS = 300


def for_turn(conversation: str, current_message: str, turns: int, before=None) -> list[dict]:
	"""`before`: only turns that came before this time (a past command's exchange, for Save as
	Case in the Desk)."""
	if turns <= 0:
		return []
	# the query builder, not get_all: three queries every turn, whose filter building (each column
	# sanitised by sqlparse) cost more than the queries themselves
	message, command = frappe.qb.DocType(MESSAGE), frappe.qb.DocType("Chatbot Command")
	query = (
		frappe.qb.from_(message)
		.select(message.name, message.text, message.message_type)
		.where(message.conversation == conversation)
		.where(message.direction == "Incoming")
		.where(message.status == "Answered")
		.where(message.name != current_message)
		.orderby(message.creation, order=Order.desc)
		.limit(turns)
	)
	if before:
		query = query.where(message.creation < before)
	incoming = query.run(as_dict=True)
	if not incoming:
		return []
	# two queries for every past turn's replies and commands (not two per turn)
	names = [row.name for row in incoming]
	replies: dict[str, list[str]] = {}
	for reply in (
		frappe.qb.from_(message)
		.select(message.in_reply_to_message, message.text)
		.where(message.in_reply_to_message.isin(names))
		.where(message.direction == "Outgoing")
		.orderby(message.creation)
		.run(as_dict=True)
	):
		replies.setdefault(reply.in_reply_to_message, []).append(reply.text)
	commands: dict[str, list] = {}
	for row in (
		frappe.qb.from_(command)
		.select(
			command.message, command.command, command.arguments, command.status, command.result, command.error
		)
		.where(command.message.isin(names))
		.orderby(command.creation)
		.run(as_dict=True)
	):
		commands.setdefault(row.message, []).append(row)
	messages: list[dict] = []
	for row in reversed(incoming):
		messages.append({"role": "user", "content": row.text or f"[{row.message_type}]"})
		answer = _answer(replies.get(row.name, []), commands.get(row.name, []))
		if answer:
			messages.append({"role": "assistant", "content": answer})
	return messages


def _answer(replies: list[str], commands: list) -> str:
	notes = [_command_note(c) for c in commands]
	return "\n".join([*(f"[{n}]" for n in notes), *(r for r in replies if r)])


def _command_note(command) -> str:
	try:
		arguments = json.loads(command.arguments or "{}")
	except ValueError:
		arguments = {}
	shown = ", ".join(f"{k}={v}" for k, v in arguments.items() if v not in (None, "", []))
	outcome = (command.result or command.error or "").replace("\n", " ")[:RESULT_CHARS]
	return f"{command.command}({shown}) {command.status}: {outcome}"
