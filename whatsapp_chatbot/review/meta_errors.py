"""What a manager should do about a failed outgoing message, by Meta's error code (channel/errors.py)."""

from __future__ import annotations

from frappe import _

from whatsapp_chatbot.channel import errors


def explain(code: str | int | None, text: str | None) -> dict | None:
	"""Meta's code and text with what to do, for the Chatbot Message form; None without a code."""
	if not code and not text:
		return None
	try:
		number = int(code) if code not in (None, "") else None
	except (TypeError, ValueError):
		number = None
	if number == errors.OUTSIDE_WINDOW_CODE:
		advice = _(
			"More than 24 hours have passed since the contact last wrote, so WhatsApp only accepts "
			"template messages. Messages are held (status Held) and go out in order when the contact "
			"writes; set a Waiting Template (approved by Meta) in WhatsApp Chatbot Settings so the "
			"contact is told that messages are waiting."
		)
	elif number in errors.TEMPLATE_CODES:
		advice = _(errors.advice(number))
	elif number == errors.INVALID_TOKEN_CODE:
		advice = _(
			"Meta refused the access token (expired or revoked). Create a new permanent token in Meta's "
			"app dashboard, paste it into WhatsApp Chatbot Settings, then use Run Again."
		)
	elif number in errors.UNKNOWN_RECIPIENT_CODES:
		advice = _(
			"This number is not on WhatsApp or cannot receive messages. Check the number on the "
			"Chatbot Contact (digits with country code)."
		)
	elif number in errors.THROTTLING_CODES:
		advice = _(
			"Meta's rate limit was hit. Sending is retried with back-off; use Run Again if it gave up."
		)
	else:
		advice = _("Meta's own explanation is shown above; look the code up in Meta's error reference.")
	return {"code": code, "text": text, "advice": advice}
