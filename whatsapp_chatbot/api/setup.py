"""Desk endpoints for getting a company live: Settings checks, linking staff, Meta's templates.
Manager only."""

from __future__ import annotations

import frappe

from whatsapp_chatbot import permissions
from whatsapp_chatbot.channel import checks, staff
from whatsapp_chatbot.message_templates import app_templates, sync


@frappe.whitelist(methods=["POST"])
def generate_verify_token() -> str:
	"""A random verify token for Meta's webhook handshake (saved by the form as a Password)."""
	permissions.require_manager()
	return frappe.generate_hash(length=32)


@frappe.whitelist(methods=["POST"])
def test_graph_api() -> dict:
	"""Read the configured phone number from Meta with the saved token."""
	permissions.require_manager()
	return checks.graph_api()


@frappe.whitelist(methods=["POST"])
def test_openai() -> dict:
	"""List the models the saved key can use and check the configured ones are among them."""
	permissions.require_manager()
	return checks.openai_api()


@frappe.whitelist(methods=["GET"])
def preview_staff_contacts() -> dict:
	"""Who would get a Chatbot Contact, who already has one, and who lacks the chat role."""
	permissions.require_manager()
	return staff.preview()


@frappe.whitelist(methods=["POST"])
def link_staff_contacts(users: list[str] | str) -> list[str]:
	"""Create the previewed contacts for these users; returns the new contacts' names."""
	permissions.require_manager()
	if isinstance(users, str):
		users = frappe.parse_json(users)
	if not isinstance(users, list) or not all(isinstance(user, str) for user in users):
		frappe.throw(frappe._("users must be a list of user ids"))
	return staff.link(users)


@frappe.whitelist(methods=["POST"])
def sync_templates() -> dict:
	"""Read every template of the WhatsApp Business Account from Meta into Chatbot Templates."""
	permissions.require_manager()
	return sync.sync_templates()


@frappe.whitelist(methods=["POST"])
def create_app_templates() -> dict:
	"""Submit the app's own templates (es and en) that Meta does not hold yet, for review."""
	permissions.require_manager()
	result = app_templates.create_app_templates()
	result["summary"] = app_templates.summary(result)
	return result
