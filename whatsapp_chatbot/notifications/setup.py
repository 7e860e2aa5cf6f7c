"""Put WhatsApp on Frappe's Notification form, and take it off again on uninstall.

Called by install.after_install / after_migrate (idempotent: a migrate changes nothing that is in
place) and install.before_uninstall. The Custom Fields and the Property Setter carry the app's
module too, so even an uninstall that skipped our hook (Frappe deletes every record of an app's
modules) leaves none behind.
"""

from __future__ import annotations

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from whatsapp_chatbot.notifications import fields

NOTIFICATION = "Notification"
OUR_CLASS = "whatsapp_chatbot.notifications.notification.WhatsAppNotification"


def install() -> None:
	create_custom_fields({NOTIFICATION: [{**f, "module": fields.MODULE} for f in fields.with_positions()]})
	_set_channel_options(fields.with_channel(_current_options()))
	frappe.clear_cache(doctype=NOTIFICATION)


def remove() -> None:
	"""No field, option or enabled WhatsApp notification of ours is left: Notifications on the
	WhatsApp channel are disabled (they are the manager's records; without the app they could not
	be sent, and their channel is no longer an option)."""
	for name in frappe.get_all(NOTIFICATION, filters={"channel": fields.CHANNEL, "enabled": 1}, pluck="name"):
		frappe.db.set_value(NOTIFICATION, name, "enabled", 0, update_modified=False)
	for fieldname in fields.fieldnames():
		name = frappe.db.get_value("Custom Field", {"dt": NOTIFICATION, "fieldname": fieldname})
		if name:
			frappe.delete_doc("Custom Field", name, ignore_permissions=True, force=True)
	setter = _channel_setter()
	if setter:
		remaining = fields.without_channel(frappe.db.get_value("Property Setter", setter, "value"))
		if remaining == fields.without_channel(_base_options()):
			frappe.delete_doc("Property Setter", setter, ignore_permissions=True, force=True)
		else:  # another app's options stay, and the setter is no longer ours to delete
			frappe.db.set_value("Property Setter", setter, {"value": remaining, "module": None})
	frappe.cache.delete_value("notifications")
	frappe.clear_cache(doctype=NOTIFICATION)


def override_in_place() -> bool:
	"""Frappe builds a Notification with the class the last installed app names in
	`override_doctype_class`; another app overriding it too replaces ours (unless its class
	inherits from ours), and WhatsApp notifications would then be saved but never sent."""
	from frappe.email.doctype.notification.notification import Notification
	from frappe.model.base_document import import_controller

	from whatsapp_chatbot.notifications.notification import WhatsAppNotification

	if not hasattr(Notification, "send_notification_by_channel"):
		return False  # a Frappe older than frappe#28355 (2024-11) never calls our channel
	try:
		return issubclass(import_controller(NOTIFICATION), WhatsAppNotification)
	except Exception:
		return False


def check_override() -> None:
	"""after_migrate: say it loudly when another app's Notification class won."""
	if override_in_place():
		return
	names = frappe.get_hooks("override_doctype_class").get(NOTIFICATION) or []
	message = (
		f"Notification is built by {names[-1] if names else 'Frappe'}, not {OUR_CLASS}: WhatsApp"
		" notifications will not be sent. Another app overrides the Notification DocType too;"
		" only the last installed app's class is used. Make that class inherit from ours, or"
		" uninstall one of the two. (Or this Frappe predates Notification.send_notification_by_channel:"
		" update it.)"
	)
	print(f"whatsapp_chatbot: {message}")
	frappe.log_error(title="WhatsApp notifications: Notification class overridden", message=message)


def _base_options() -> str:
	return frappe.db.get_value("DocField", {"parent": NOTIFICATION, "fieldname": "channel"}, "options") or ""


def _channel_setter() -> str | None:
	return frappe.db.get_value(
		"Property Setter",
		{"doc_type": NOTIFICATION, "field_name": "channel", "property": "options"},
	)


def _current_options() -> str:
	setter = _channel_setter()
	if setter:
		return frappe.db.get_value("Property Setter", setter, "value") or ""
	return _base_options()


def _set_channel_options(options: str) -> None:
	setter = _channel_setter()
	if setter:
		if frappe.db.get_value("Property Setter", setter, "value") != options:
			frappe.db.set_value("Property Setter", setter, "value", options)
		return
	frappe.get_doc(
		{
			"doctype": "Property Setter",
			"doctype_or_field": "DocField",
			"doc_type": NOTIFICATION,
			"field_name": "channel",
			"property": "options",
			"property_type": "Text",
			"value": options,
			"module": fields.MODULE,
			"is_system_generated": 1,
		}
	).insert(ignore_permissions=True)
