"""Tell the managers when the channel itself is broken: Meta rejected the access token, or paused or
disabled a template the app uses.

One alert per broken token, not one per message: the first send job that sees error 190 records
the time on the Settings and notifies; the others see the time and stay quiet. Saving a new token
clears it. One alert per template event: the webhook stores each event once (a redelivery is
recognised), and only a new one calls `template_stopped`.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.translate import get_user_lang
from frappe.utils import escape_html, now_datetime

from whatsapp_chatbot import permissions
from whatsapp_chatbot.channel import locks
from whatsapp_chatbot.channel.errors import GraphError
from whatsapp_chatbot.channel.settings import DOCTYPE


def invalid_token(error: GraphError) -> bool:
	"""Record and announce a rejected token; False when it was already announced."""
	if token_invalid_since():
		return False
	# Several send jobs can hit 190 at the same moment: only one of them announces it.
	if not locks.once("invalid-token", ttl=600):
		return False
	frappe.db.set_single_value(DOCTYPE, "access_token_invalid_since", now_datetime())
	subject = "WhatsApp chatbot: Meta rejected the access token, no message can be sent"
	frappe.log_error(title=subject, message=error.describe())
	notify_managers(
		lambda user: subject,
		lambda user: f"{error.describe()}<br>Save a new access token in WhatsApp Chatbot Settings.",
		DOCTYPE,
		DOCTYPE,
	)
	return True


def notify_managers(subject, content, document_type: str, document_name: str) -> None:
	"""One Notification Log per manager; `subject(user)` and `content(user)` are HTML in that
	manager's language."""
	for user in permissions.managers():
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"type": "Alert",
				"document_type": document_type,
				"document_name": document_name,
				"subject": subject(user),
				"email_content": content(user),
			}
		).insert(ignore_permissions=True)


def template_stopped(template: str, status: str, reason: str | None, uses: list[tuple[str, object]]) -> None:
	"""Meta paused or disabled a template the app uses (`uses` from message_templates.usage)."""
	shown = escape_html(template)  # the name is Meta's (a webhook's), shown as written

	def subject(user: str) -> str:
		lang = get_user_lang(user)
		if status == "DISABLED":
			return _("WhatsApp template {0} was disabled by Meta", lang=lang).format(shown)
		return _("WhatsApp template {0} was paused by Meta", lang=lang).format(shown)

	def content(user: str) -> str:
		lang = get_user_lang(user)
		lines = [escape_html(reason or status)]
		lines.append(_("It is in use: {0}", lang=lang).format("; ".join(_use(use, lang) for use in uses)))
		lines.append(
			_(
				"Messages that use it fail until Meta approves it again: pick another template meanwhile.",
				lang=lang,
			)
		)
		return "<br>".join(lines)

	notify_managers(subject, content, "Chatbot Template", template)


def _use(use: tuple[str, object], lang: str) -> str:
	kind, what = use
	if kind == "waiting_template":
		return _("the Settings' template for messages waiting", lang=lang)
	if kind == "notification_template":
		return _("the Settings' template for notifications", lang=lang)
	if kind == "notification":
		return _("Notification {0}", lang=lang).format(escape_html(str(what)))
	return _("{0} messages sent in the last 30 days", lang=lang).format(what)


def token_invalid_since() -> str | None:
	# get_single_value turns an empty Datetime into 0001-01-01; the stored text says "unset" truly.
	value = frappe.db.sql(
		"select value from tabSingles where doctype=%s and field='access_token_invalid_since'", DOCTYPE
	)
	return value[0][0] if value and value[0][0] else None
