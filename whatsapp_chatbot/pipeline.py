"""What a known contact's message turns into: the answer step of the processing job.

This is the seam the interpreter fills (OpenAI tool calling, commands run as the contact's user).
The channel guarantees what reaches it: a stored message from an enabled contact whose User holds
the chat role, in the contact's language, processed once and in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from whatsapp_chatbot import texts
from whatsapp_chatbot.channel import outgoing

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
UNDERSTOOD_TYPES = frozenset({"text", "interactive", "button", "audio", "image", "document", "edit"})


@dataclass
class Turn:
	"""Everything the answer step may use; `replies` are outgoing bodies, sent in order."""

	message: object  # Chatbot Message
	contact: object  # Chatbot Contact
	conversation: object  # Chatbot Conversation
	language: str
	settings: object
	replies: list[dict] = field(default_factory=list)


def answer(turn: Turn) -> list[dict]:
	if turn.message.message_type not in UNDERSTOOD_TYPES:
		return [outgoing.text(texts.text("unsupported_type", turn.language))]
	if not turn.settings.get_password("openai_api_key", raise_exception=False):
		return [outgoing.text(texts.text("not_configured", turn.language))]
	return interpret(turn)


def interpret(turn: Turn) -> list[dict]:
	# Filled by the interpreter (issue: OpenAI interpreter and command engine). Until then a
	# configured key changes nothing for the user: say so rather than pretend.
	return [outgoing.text(texts.text("not_configured", turn.language))]
