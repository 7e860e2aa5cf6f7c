"""What a known contact's message turns into: the answer step of the processing job.

The channel guarantees what reaches it: a stored message from an enabled contact whose User holds
the chat role, in the contact's language, processed once and in order. From here: a Confirm /
Cancel button or a typed yes/no settles a pending write; a /command runs without the model;
anything else goes to the interpreter (OpenAI tool calling, commands run as the contact's User).
"""

from __future__ import annotations

from dataclasses import dataclass

import frappe

from whatsapp_chatbot import i18n, texts
from whatsapp_chatbot.approvals import press as approval_press
from whatsapp_chatbot.channel import handoff, outgoing
from whatsapp_chatbot.executors import dispatch
from whatsapp_chatbot.executors import long as long_commands
from whatsapp_chatbot.interpreter import client, loop, person_request, shortcuts
from whatsapp_chatbot.interpreter.loop import TurnFailed
from whatsapp_chatbot.interpreter.transcribe import transcribe
from whatsapp_chatbot.media import intake
from whatsapp_chatbot.tools import confirmation

__all__ = ["ANSWERABLE_TYPES", "Turn", "TurnFailed", "answer"]

# Message types a person writes to be answered; the rest (reactions, revokes, system notices)
# are recorded and left alone.
ANSWERABLE_TYPES = frozenset(
	{
		"text",
		"interactive",
		"button",
		"audio",
		"image",
		"document",
		"video",
		"location",
		"contacts",
		"order",
		"sticker",
		"edit",
		"unsupported",
	}
)
UNDERSTOOD_TYPES = frozenset({"text", "interactive", "button", "edit", "audio", "image", "document"})


@dataclass
class Turn:
	"""Everything the answer step may use."""

	message: object  # Chatbot Message; None for a subscription's run (subscriptions/due.py)
	contact: object  # Chatbot Contact
	conversation: object  # Chatbot Conversation
	language: str
	settings: object


def answer(turn: Turn) -> list:
	"""Outgoing bodies (dicts) and file Results, in the order they are to be sent, in the contact's
	language: `_()` in every command, and Frappe's own messages, follow it for the whole turn."""
	# the few commands that act for the asking phone itself (a subscription is delivered to the
	# phone that asked for it) read it here, never from the model's arguments
	frappe.flags.whatsapp_chatbot_contact = turn.contact.name
	with i18n.speaking(turn.language):
		return _answer(turn)


def _answer(turn: Turn) -> list:
	message = turn.message
	if message.message_type in ("interactive", "button") and message.interactive_id:
		pressed = approval_press.handle_button(turn, message.interactive_id)  # a Workflow action's button
		if pressed is not None:
			return pressed
		settled = confirmation.handle_button(turn, message.interactive_id)
		if settled is not None:
			return _settled(turn, settled)
	text = (message.text or "").strip()
	if message.message_type == "text":
		if person_request.asks_for_person(text):  # "/human", "talk to a human": no model involved
			return handoff.request_person(turn)
		slash = shortcuts.parse(text)
		if slash:
			return shortcuts.run(turn, *slash)
		if (confirmation.is_yes(text) or confirmation.is_no(text)) and confirmation.has_pending(
			turn.contact.name
		):
			return _settled(turn, confirmation.handle_typed(turn, yes=confirmation.is_yes(text)))
		word = confirmation.normalise_reply(text)
		if word in ("cancel", "cancelar", "para", "parar", "pare", "stop"):
			stopped = long_commands.cancel_latest(turn)
			if stopped:
				return stopped
		if word in ("status", "estado", "situação"):
			return long_commands.status(turn)
	if message.message_type not in UNDERSTOOD_TYPES or not (text or message.media_id):
		return [outgoing.text(texts.text("unsupported_type", turn.language))]
	if message.message_type in ("image", "document"):
		# stored (or refused) before anything else, so a file is never lost nor kept unchecked
		stored = intake.receive(message, turn.settings)
		if isinstance(stored, intake.Refusal):
			message.flags.answer_note = stored.reason
			return [outgoing.text(texts.text(stored.text_key, turn.language, **stored.values))]
	if not client.is_configured():
		return [outgoing.text(texts.text("not_configured", turn.language))]
	if message.message_type == "audio":
		spoken = transcribe(message, turn.settings)
		if not spoken:
			return [outgoing.text(texts.text("not_understood", turn.language))]
		message.db_set({"transcript": spoken, "text": spoken})
		if person_request.asks_for_person(spoken):  # said out loud: "quiero hablar con una persona"
			return handoff.request_person(turn)
	return loop.run(turn)


def _settled(turn, answer) -> list:
	"""A confirmation's answer: the replies it gave, or the confirmed command run by the dispatcher."""
	if isinstance(answer, confirmation.Confirmed):
		return dispatch.run_confirmed(turn, answer)
	return answer
