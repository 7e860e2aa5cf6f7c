"""Fields that hold text written outside the Desk, and how the Desk shows it: as text, never markup.

A WhatsApp sender writes the message text, their profile name, a document's file name and caption;
the model writes transcripts, answers, previews and results; Meta writes ids and error texts; a
remote site writes its answers. The database keeps exactly what was written (the model, commands
and search need it; webhook rows skip Frappe's HTML cleaning anyway, and that cleaning would keep
an <img> rather than show it). What changes is the display:

- the Desk: `boot_session` sends this list in the boot; public/js/untrusted_text.bundle.js puts an
  escaping formatter on each of these fields, which Frappe's frappe.format applies in list views,
  report views and read-only form fields, and escapes a title field's value in the form header,
  the sidebar's group-by counts and Link fields' suggestions;
- printing: `ShownAsText`, mixed into the DocTypes' controllers, escapes them (and the titles of
  Links to a DocType whose title is one of them) in Document.get_formatted, which Frappe's
  standard print format calls for every field.

Our own HTML (the transcript, the command details, notifications) escapes on its own.
Pure module: no frappe import (tests/pure/test_untrusted_fields.py checks the list against the
DocTypes: every field marked "Ignore XSS Filter" is here).
"""

from __future__ import annotations

import html

BOOT_KEY = "whatsapp_chatbot_untrusted_fields"

UNTRUSTED_FIELDS: dict[str, tuple[str, ...]] = {
	# every Data and Text field a webhook fills (channel/inbox.py), the voice transcript (the
	# model), Meta's error text, and the outbox's answers
	"Chatbot Message": (
		"text",
		"transcript",
		"profile_name",
		"media_filename",
		"media_mime_type",
		"media_id",
		"media_sha256",
		"message_type",
		"reply_to",
		"interactive_id",
		"wamid",
		"sender_key",
		"wa_id",
		"user_id",
		"error_code",
		"error_message",
		"outbox_key",
		"phone_number_id",
	),
	# Meta's delivery statuses, written as they came (channel/statuses.py)
	"Chatbot Status Event": (
		"wamid",
		"status",
		"recipient",
		"error_code",
		"error_message",
		"event_key",
	),
	# the latest message's text
	"Chatbot Conversation": ("last_message",),
	# the sender's WhatsApp profile; the language guessed from what they wrote
	"Chatbot Contact": ("profile_name", "wa_id", "user_id", "language"),
	# the model's command and its words, the results (documents' contents), remote sites' answers
	"Chatbot Command": (
		"command",
		"preview",
		"result",
		"error",
		"progress_note",
		"remote_command",
		"remote_follow",
		"job_id",
	),
	# what the remote site answered to the connection test
	"Chatbot Remote Site": ("last_test_result",),
	# a subscription's title is the model's words for it; errors quote commands and remote sites
	"Chatbot Subscription": ("title", "command", "paused_reason", "last_error"),
	# the WhatsApp channel's Custom Fields on Frappe's Notification (notifications/fields.py): why
	# the last firing failed and who was left out, quoting Meta's template definitions and e-mails
	"Notification": ("whatsapp_last_error", "whatsapp_last_result"),
	# an evaluation case's exchange (Save as Case copies what a sender wrote); what the model said
	# and called in an evaluation, and the endpoint's errors
	"Chatbot Evaluation Message": ("content",),
	"Chatbot Evaluation Result": ("called", "reasons", "answer", "error"),
	"Chatbot Evaluation Run": ("error",),
	# Meta's templates (a sync, a webhook): the reason Meta gave, ids, what the components ask for
	# (button texts). template_name is not here: the controller only accepts Meta's a-z0-9_ names.
	"Chatbot Template": ("language", "status_reason", "template_id", "business_account_id", "parameters"),
	# Meta's template webhooks: the event word and what it said
	"Chatbot Template Event": ("event", "detail", "event_key", "previous_status"),
}

# DocTypes whose title field is untrusted (Frappe shows it as the title of Links to them)
UNTRUSTED_TITLES: dict[str, str] = {"Chatbot Contact": "profile_name", "Chatbot Subscription": "title"}

# Frappe turns newlines into <br> for these (and so do we, after escaping)
MULTILINE_FIELDTYPES = frozenset({"Small Text", "Text", "Long Text"})


def untrusted(doctype: str) -> tuple[str, ...]:
	return UNTRUSTED_FIELDS.get(doctype, ())


def boot_session(bootinfo) -> None:
	"""hooks.boot_session: the lists, for the Desk's escaping formatters (public/js/untrusted_text.bundle.js)."""
	bootinfo[BOOT_KEY] = {
		"fields": {doctype: list(fields) for doctype, fields in UNTRUSTED_FIELDS.items()},
		"titles": dict(UNTRUSTED_TITLES),
	}


def as_text(value, multiline: bool = False) -> str:
	"""HTML that shows `value` exactly as written."""
	text = html.escape("" if value is None else str(value), quote=True)
	return text.replace("\r\n", "\n").replace("\n", "<br>") if multiline else text


class ShownAsText:
	"""Mixin for the controllers of the DocTypes above: Document.get_formatted (what print formats
	show) escapes their untrusted fields, and Links to a DocType whose title is untrusted (a
	contact's title is the sender's profile name: Frappe prints a Link's title as it is stored)."""

	def get_formatted(self, fieldname, *args, **kwargs):
		df = self.meta.get_field(fieldname)
		if fieldname in untrusted(self.doctype):
			return as_text(self.get(fieldname), multiline=bool(df) and df.fieldtype in MULTILINE_FIELDTYPES)
		formatted = super().get_formatted(fieldname, *args, **kwargs)
		if df and df.fieldtype == "Link" and df.options in UNTRUSTED_TITLES:
			return as_text(formatted)
		return formatted
