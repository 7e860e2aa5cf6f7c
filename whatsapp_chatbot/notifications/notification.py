"""Frappe's Notification with a WhatsApp channel (hooks.override_doctype_class).

Kept minimal on purpose. Frappe v15 sends a Notification through a fixed if-chain over its channels
(`send_notification_by_channel`, split out of `send` by frappe#28355 for apps adding a channel):
this class sends the WhatsApp channel and then hands over to Frappe's own method, which does
nothing more for WhatsApp than the "also send a system notification" box, and everything for Email,
Slack, SMS and System Notification, exactly as without the app. Frappe still builds the context
(doc, comments, a standard notification's get_context), runs the condition and "Set Property After
Alert"; evaluate_alert, run_notifications and their per-DocType cache are untouched, so a save of a
DocType with no notification costs what it costs without the app.

Only one class per DocType wins: Frappe takes the last installed app's `override_doctype_class`.
notifications/setup.check_override says so after a migrate, and the form warns (onload).
"""

from __future__ import annotations

from frappe.email.doctype.notification.notification import Notification

from whatsapp_chatbot.notifications import config, fanout, fields


class WhatsAppNotification(Notification):
	def onload(self):
		super().onload()
		# the form's script warns when this is missing: another app's class is in use
		self.set_onload("whatsapp_chatbot", {"channel": fields.CHANNEL})

	def validate(self):
		super().validate()
		if self.channel == fields.CHANNEL:
			config.validate(self)

	def send_notification_by_channel(self, doc, context):
		if self.channel == fields.CHANNEL:
			fanout.notify(self, doc, context)  # never raises into the save
		super().send_notification_by_channel(doc, context)
