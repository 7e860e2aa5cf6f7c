"""What a WhatsApp Notification did, where people look for it.

- The Notification form: "Last Error" says in clear words why the last firing sent nothing (and is
  cleared by the next one that sends); "Last Sent" says what the last one queued and who was left
  out and why. Both are written without touching `modified` (they are not edits of the form).
- The Error Log gets every failure, linked to the Notification.
- The document's timeline gets one Info comment per firing, linking to the Chatbot Messages it
  queued. It names the notification and counts messages, nothing more: the messages themselves
  (text, recipients) stay behind Chatbot Message's own permissions (chatbot managers). A comment,
  not Frappe's `additional_timeline_content` hook: that hook runs on every form load of every
  DocType, this costs nothing on documents no notification is about.
"""

from __future__ import annotations

from urllib.parse import urlencode

import frappe
from frappe import _
from frappe.utils import escape_html, format_datetime, now_datetime

from whatsapp_chatbot.notifications import fields

NOTIFICATION = "Notification"
SKIPPED_SHOWN = 20


def failed(notification: str, doctype: str, name: str, reason: str, details: str | None = None) -> None:
	"""Nothing was queued for this firing: say why on the form and in the Error Log."""
	frappe.log_error(
		title=f"WhatsApp notification {notification}: nothing sent for {doctype} {name}"[:140],
		message=f"{reason}\n\n{details}" if details else reason,
		reference_doctype=NOTIFICATION,
		reference_name=notification,
	)
	_set(notification, {fields.LAST_ERROR: f"{_stamp()} · {doctype} {name}: {reason}"})


def succeeded(notification: str, doctype: str, name: str, queued: int, contacts: int, skipped) -> None:
	summary = _("{0} · {1} {2}: {3} message(s) queued for {4} contact(s)").format(
		_stamp(), doctype, name, queued, contacts
	)
	if skipped:
		shown = "; ".join(f"{who} ({_(why)})" for who, why in skipped[:SKIPPED_SHOWN])
		more = len(skipped) - SKIPPED_SHOWN
		summary += ". " + _("Not sent to: {0}").format(shown)
		if more > 0:
			summary += " " + _("and {0} more").format(more)
	_set(notification, {fields.LAST_ERROR: None, fields.LAST_RESULT: summary})


def on_timeline(notification: str, doctype: str, name: str, messages: list[str]) -> None:
	if not messages:
		return
	if len(messages) == 1:
		url = f"/app/chatbot-message/{messages[0]}"
	else:
		query = {"reference_doctype": doctype, "reference_name": name, "notification": notification}
		url = f"/app/chatbot-message?{urlencode(query)}"
	count = _("{0} WhatsApp message(s)").format(len(messages))
	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Info",
			"reference_doctype": doctype,
			"reference_name": name,
			"content": _("sent the notification {0} as {1}").format(
				f"<b>{escape_html(notification)}</b>", f'<a href="{escape_html(url)}">{count}</a>'
			),
		}
	).insert(ignore_permissions=True)


def _set(notification: str, values: dict) -> None:
	if frappe.db.exists(NOTIFICATION, notification):
		frappe.db.set_value(NOTIFICATION, notification, values, update_modified=False)


def _stamp() -> str:
	return format_datetime(now_datetime(), "yyyy-MM-dd HH:mm:ss")
