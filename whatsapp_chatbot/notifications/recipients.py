"""Who hears a WhatsApp Notification: Frappe's own recipients, as Chatbot Contacts allowed to read.

Frappe resolves the Notification's recipients table (by role, by a document field holding an
email or a User, the owner, a row's condition) into email addresses (Notification.
get_list_of_recipients, the email channel's code). Each address is an enabled User (by name or
email); each User reaches WhatsApp through their enabled Chatbot Contact(s); and each gets the
message only if permissions.notification_refused says nothing against it, asked as that User.
Whoever is left out is listed with why, for the Notification's "Last Sent".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import frappe

from whatsapp_chatbot import permissions

CONTACT = "Chatbot Contact"
CONTACT_FIELDS = ["name", "user", "wa_id", "user_id", "language", "last_inbound_at", "enabled"]


@dataclass
class Audience:
	contacts: list = field(default_factory=list)  # frappe._dict rows of Chatbot Contact
	skipped: list[tuple[str, str]] = field(default_factory=list)  # (who, why)


def addresses(notification, doc, context) -> list[str]:
	"""Frappe's recipients of this notification for `doc`: to, cc and bcc alike."""
	to, cc, bcc = notification.get_list_of_recipients(doc, context)
	seen, out = set(), []
	for address in [*to, *cc, *bcc]:
		address = (address or "").strip()
		if address and address.lower() not in seen:
			seen.add(address.lower())
			out.append(address)
	return out


def resolve(found: list[str], doc) -> Audience:
	audience = Audience()
	if not found:
		return audience
	users = frappe.get_all(
		"User",
		filters={"enabled": 1},
		or_filters={"name": ("in", found), "email": ("in", found)},
		fields=["name", "email"],
	)
	known = {user.name.lower() for user in users} | {(user.email or "").lower() for user in users}
	audience.skipped += [
		(address, "not an enabled User") for address in found if address.lower() not in known
	]
	contacts_of: dict[str, list] = {}
	for contact in frappe.get_all(
		CONTACT,
		filters={"user": ("in", [user.name for user in users]), "enabled": 1},
		fields=CONTACT_FIELDS,
		order_by="creation asc",
	):
		contacts_of.setdefault(contact.user, []).append(contact)
	for user in sorted(users, key=lambda u: u.name):
		if user.name not in contacts_of:
			audience.skipped.append((user.name, "no WhatsApp contact"))
			continue
		refused = permissions.notification_refused(user.name, doc)
		if refused:
			audience.skipped.append((user.name, refused))
			continue
		audience.contacts += contacts_of[user.name]
	return audience
