"""One turn with the model: the user's message in, replies out.

The tool-call loop: ask the model with the tools this user may call; a tool call is validated
against its schema before anything runs, then handed to the dispatcher (executors/dispatch.py):
what ran goes back to the model in short form; a write's Confirm / Cancel question or a long
command's "working on it" ends the turn.
An unknown or invalid call gets one chance to be repaired, then the user gets a polite answer. At
most `max_tool_steps` model calls per message, each within the time the job has left
(jobs/budget.py), and none with a database row lock held.
"""

from __future__ import annotations

import frappe
from frappe.query_builder.functions import IfNull
from frappe.utils import getdate, nowdate
from openai.types.chat import ChatCompletion

from whatsapp_chatbot import formatting, texts
from whatsapp_chatbot.channel import outgoing
from whatsapp_chatbot.executors import dispatch
from whatsapp_chatbot.interpreter import client as openai_client
from whatsapp_chatbot.interpreter import history, prompt
from whatsapp_chatbot.interpreter.usage import Usage, price_for
from whatsapp_chatbot.media import current as current_media
from whatsapp_chatbot.tools import catalogue
from whatsapp_chatbot.tools.registry import parse_arguments


class TurnFailed(Exception):
	"""The model could not be reached: the user gets `text_key`, the message is marked Failed."""

	def __init__(self, text_key: str, reason: str):
		super().__init__(reason)
		self.text_key = text_key
		self.reason = reason


def run(turn) -> list:
	settings = turn.settings
	user = turn.contact.user
	if over_budget(user, settings):
		return [outgoing.text(texts.text("budget_exceeded", turn.language))]

	commands = catalogue.for_user(user, turn.contact.name)  # with `site` where this contact has sites
	by_name = {c.name: c for c in commands}
	# a photo or PDF in this turn (or just before it): image parts or its text, and the vision model
	user_content, model = current_media.turn_input(turn)
	messages = prompt.build_messages(
		prompt.context_message(
			today=nowdate(),
			user_name=frappe.db.get_value("User", user, "full_name") or user,
			user=user,
			company=frappe.defaults.get_user_default("Company", user=user),
			# the contact's language by its own name (Español, Português…): the model answers in any
			language_hint=frappe.db.get_value("Language", turn.language, "language_name") or "English",
		),
		history.for_turn(turn.conversation.name, turn.message.name, int(settings.history_turns or 0)),
		user_content,
	)
	client = openai_client.make_client(settings)
	usage = Usage()
	repairs_left = 1
	replies: list = []
	attachments: list = []  # Results carrying a file, sent before the answer that mentions them
	executed = []
	try:
		for _step in range(max(1, int(settings.max_tool_steps or 4))):
			request = request_for(model, messages, commands)
			# what the turn wrote so far (the contact's language, a stored file, the commands run
			# and their rows) is committed first: no row stays locked while the model thinks, however
			# long that is. Only the processing job runs this, one message per unit (process_message).
			frappe.db.commit()
			response = ask(client, request, settings)
			usage.add(response.usage)
			reply = response.choices[0].message
			if not reply.tool_calls:
				replies = [
					outgoing.text(part)
					for part in outgoing.split_text(formatting.to_whatsapp(reply.content or ""))
				]
				break
			messages.append(_assistant_message(reply))
			stop = False
			for call in reply.tool_calls:
				command = by_name.get(call.function.name)
				arguments, error = parse_arguments(call.function.arguments)
				errors = [error] if error else []
				if command is None:
					errors = [f"unknown tool {call.function.name!r}; use one of the tools given"]
				elif not errors:
					arguments, errors = command.check(arguments)
				if not errors:  # the file a media command uses is the turn's, never the model's word
					arguments, missing = current_media.bind(turn, command, arguments)
					if missing:
						messages.append(_tool_result(call.id, {"error": missing}))
						continue
				if errors:
					if repairs_left <= 0:
						replies, stop = [outgoing.text(texts.text("not_understood", turn.language))], True
						break
					repairs_left -= 1
					messages.append(_tool_result(call.id, {"error": "; ".join(errors)}))
					continue
				dispatched = dispatch.dispatch(turn, command, arguments)
				if dispatched.final:
					replies, stop = dispatched.replies, True
					break
				if dispatched.ran:
					executed.append(dispatched.doc)
				outcome = dispatched.outcome
				if outcome.ok and outcome.result.attachment:
					attachments.append(outcome.result)
				messages.append(_tool_result(call.id, outcome.for_model()))
			if stop:
				break
		else:
			replies = [outgoing.text(texts.text("not_understood", turn.language))]
	finally:
		record_usage(turn, usage, executed, settings, model)
	return [*attachments, *replies]


def ask(client, request: dict, settings):
	"""One model call, within what the job has left for network waits (jobs/budget.py): the
	Settings' timeout or less, and only the SDK retries that still fit. TurnFailed when the model
	cannot answer, or the time is spent, so the user hears it instead of the job being killed."""
	client = within_budget(client, settings)
	try:
		# the request is plain JSON already (request_for): posted as it is, it skips the SDK's typed
		# transform of every message and tool schema (4 ms a call with the built-in tools), with the
		# client's own retries, timeouts and parsing
		return client.post("/chat/completions", body=request, cast_to=ChatCompletion)
	except openai_client.UNAVAILABLE as error:
		raise TurnFailed("assistant_unavailable", f"OpenAI: {type(error).__name__}: {error}"[:500]) from error


def within_budget(client, settings, what: str = "model call"):
	"""The OpenAI client for one call in a processing job: the Settings' timeout or what the job has
	left (jobs/budget.py), and only the SDK retries that still fit; TurnFailed when nothing is left.
	Outside a processing job (the Desk, the evaluation), the client as it is."""
	spent = frappe.flags.get("whatsapp_chatbot_budget")
	if spent is None:
		return client
	options = spent.call(float(settings.openai_timeout or 30), client.max_retries)
	if options is None:
		raise TurnFailed("assistant_unavailable", f"OpenAI: no time left in this job for another {what}")
	return client.with_options(timeout=options.timeout, max_retries=options.max_retries)


def request_for(model: str, messages: list[dict], commands: list) -> dict:
	"""The Chat Completions request of one step (the evaluation runner sends the same)."""
	request = {"model": model, "messages": messages}
	if commands:
		request.update(tools=[c.tool() for c in commands], parallel_tool_calls=False)
	return request


def _assistant_message(reply) -> dict:
	return {
		"role": "assistant",
		"content": reply.content,
		"tool_calls": [
			{
				"id": c.id,
				"type": "function",
				"function": {"name": c.function.name, "arguments": c.function.arguments},
			}
			for c in reply.tool_calls
		],
	}


def _tool_result(call_id: str, content) -> dict:
	return {
		"role": "tool",
		"tool_call_id": call_id,
		"content": content if isinstance(content, str) else frappe.as_json(content, indent=None),
	}


def record_usage(turn, usage: Usage, executed: list, settings, model: str | None = None) -> None:
	"""On the message, on the last command of the turn, and summed on the conversation (priced for
	the model that was asked: the vision model in turns with a picture)."""
	if not usage.calls:
		return
	prices = [p.as_dict() for p in settings.get("model_prices") or []]
	cost = usage.cost(price_for(model or settings.openai_model or "", prices))
	values = {
		"prompt_tokens": usage.prompt_tokens,
		"cached_tokens": usage.cached_tokens,
		"completion_tokens": usage.completion_tokens,
		"cost": cost,
	}
	# plain UPDATEs: usage is bookkeeping no hook or open transcript shows (a Document.db_set re-read
	# each row FOR UPDATE and ran every app's on_change hooks), and the conversation's sums are added
	# in the database, so two turns of one conversation never lose each other's tokens
	frappe.db.set_value(turn.message.doctype, turn.message.name, values, update_modified=False)
	turn.message.update(values)
	if executed:
		frappe.db.set_value(executed[-1].doctype, executed[-1].name, values, update_modified=False)
		executed[-1].update(values)
	table = frappe.qb.DocType("Chatbot Conversation")
	added = {**values, "command_count": len(executed)}
	query = frappe.qb.update(table).where(table.name == turn.conversation.name)
	for field, amount in added.items():
		query = query.set(table[field], IfNull(table[field], 0) + amount)
	query.run()


def over_budget(user: str, settings) -> bool:
	budget = int(settings.daily_token_budget or 0)
	if budget <= 0:
		return False
	used = frappe.db.sql(
		"""select coalesce(sum(prompt_tokens + completion_tokens), 0) from `tabChatbot Message`
		where user=%s and direction='Incoming' and creation >= %s""",
		(user, getdate(nowdate())),
	)[0][0]
	return used >= budget
