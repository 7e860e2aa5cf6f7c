"""Who may do what with the chatbot: every permission rule of the app lives in this module.

A WhatsApp number is only a claim; what lets a message reach ERPNext is the link from the
Chatbot Contact to an enabled User holding the WhatsApp Chatbot User role. Everything after that
runs as that User under Frappe's own permissions.
"""

from __future__ import annotations

import hashlib

import frappe
from frappe.utils import cint

CHAT_ROLE = "WhatsApp Chatbot User"
MANAGER_ROLE = "WhatsApp Chatbot Manager"
ROLES = (CHAT_ROLE, MANAGER_ROLE)


def user_may_chat(user: str | None) -> bool:
	"""The user exists, is enabled and holds the chat role (Administrator excluded on purpose:
	nobody should run ERPNext as Administrator from a phone)."""
	if not user or user in ("Administrator", "Guest"):
		return False
	if not frappe.db.get_value("User", user, "enabled"):
		return False
	return CHAT_ROLE in frappe.get_roles(user)


def contact_may_chat(contact) -> bool:
	"""A Chatbot Contact whose messages may be answered with ERPNext data."""
	return bool(contact and contact.enabled and user_may_chat(contact.user))


def notification_refused(user: str, doc) -> str | None:
	"""Why `user` may not get a WhatsApp notification about `doc` (None: they may). It carries the
	document's contents (and maybe its PDF), so it goes only to a chat user who may read the
	document, asked as that user: roles, User Permissions, sharing, `has_permission` hooks (read
	is also what Frappe's print view asks)."""
	if not user_may_chat(user):
		return "not a WhatsApp Chatbot User"
	if not frappe.has_permission(doc.doctype, "read", doc, user=user):
		return "may not read this document"
	return None


def managers() -> list[str]:
	"""Enabled system users who configure the chatbot and get its alerts."""
	users = frappe.get_all(
		"Has Role",
		filters={"role": ("in", [MANAGER_ROLE, "System Manager"]), "parenttype": "User"},
		pluck="parent",
		distinct=True,
	)
	return frappe.get_all(
		"User",
		filters=[
			["name", "in", users or [""]],
			["name", "!=", "Administrator"],
			["enabled", "=", 1],
			["user_type", "=", "System User"],
		],
		pluck="name",
	) or ["Administrator"]


def require_manager() -> None:
	"""Desk actions on the chatbot's records. (frappe.only_for is a no-op under tests, which would
	leave this rule untested; the check is spelled out instead.)"""
	if not set(frappe.get_roles()) & {MANAGER_ROLE, "System Manager"}:
		frappe.throw(frappe._("Only a WhatsApp Chatbot Manager can do this"), frappe.PermissionError)


def offered_commands(commands: dict, user: str) -> set[str]:
	"""The names of `commands` (name → Command) that command_allowed lets `user` see, remembered in
	Redis while nothing they depend on changed: the user's roles, the documents shared with them,
	the DocTypes' permission rules (Frappe renews `metadata_version` whenever a DocType's cache is
	cleared, Role Permission Manager and Customize Form included) and the commands themselves.
	Asking every DocType meant unpickling each one's meta and a DocShare query per refused DocType:
	a third of a turn's own time. What the model then calls is checked again, fresh
	(catalogue.find), and runs under Frappe's permissions as the user."""
	key = f"whatsapp_chatbot:offered:{user}"
	stamp = _offer_stamp(commands, user)
	remembered = frappe.cache.get_value(key, expires=True)  # kept with a TTL: not in the request's cache
	if isinstance(remembered, dict) and remembered.get("stamp") == stamp:
		return set(remembered["names"])
	names = {name for name, command in commands.items() if command_allowed(command, user)}
	frappe.cache.set_value(key, {"stamp": stamp, "names": sorted(names)}, expires_in_sec=OFFER_TTL)
	return names


OFFER_TTL = 24 * 3600  # seconds: a user who stops chatting leaves nothing behind for long


def _offer_stamp(commands: dict, user: str) -> str:
	from frappe.share import get_shared_doctypes

	parts = (
		frappe.cache.get_value("metadata_version"),
		sorted(frappe.get_roles(user)),
		sorted(get_shared_doctypes(user)),
		sorted((c.name, c.kind, sorted(c.roles or ()), sorted(c.doctypes)) for c in commands.values()),
	)
	return hashlib.sha1(frappe.as_json(parts, indent=None).encode()).hexdigest()


def command_allowed(command, user: str) -> bool:
	"""A command is offered to a user who holds one of its roles (if it lists any) and may read
	(or, for writes, create) every DocType it names. What each call returns is still filtered by
	Frappe's permissions when it runs as that user."""
	return _allowed(
		command,
		set(frappe.get_roles(user)),
		lambda doctype, ptype: frappe.has_permission(doctype, ptype, user=user),
	)


# what frappe.get_roles adds for every system user
STANDARD_ROLES = frozenset(("All", "Guest", "Desk User"))


def command_allowed_for_roles(command, roles) -> bool:
	"""command_allowed for a system user holding exactly `roles` and no shared documents (an
	evaluation case that names roles rather than a User): the same rule, with the DocType's
	permission rules of level 0 (its custom ones included) read as frappe.has_permission reads them."""
	held = set(roles) | STANDARD_ROLES
	return _allowed(command, held, lambda doctype, ptype: roles_may(doctype, ptype, held))


def roles_may(doctype: str, ptype: str, roles) -> bool:
	return any(
		p.role in roles and not cint(p.permlevel) and p.get(ptype)
		for p in frappe.get_meta(doctype).permissions
	)


def _allowed(command, roles: set, may) -> bool:
	if command.roles and not roles & set(command.roles):
		return False
	ptype = "create" if command.kind == "Write" else "read"
	return all(may(doctype, ptype) for doctype in command.doctypes)


def remote_sites(contact: str | None) -> list[str]:
	"""The remote sites a contact may act on: enabled sites where the contact holds an access row
	(that row's key is a user of the remote site, whose own permissions then apply there). The
	model is offered these and nothing else; the default one comes first."""
	if not contact:
		return []
	rows = frappe.get_all(
		"Chatbot Remote Access",
		filters={"contact": contact},
		fields=["remote_site", "is_default"],
		order_by="is_default desc, remote_site asc",
	)
	if not rows:
		return []
	enabled = set(
		frappe.get_all(
			"Chatbot Remote Site",
			filters={"name": ("in", [row.remote_site for row in rows]), "enabled": 1},
			pluck="name",
		)
	)
	return [row.remote_site for row in rows if row.remote_site in enabled]


def remote_access(contact: str | None, site: str) -> str | None:
	"""The Chatbot Remote Access row that lets this contact act on this site, or None."""
	if not contact or site not in remote_sites(contact):
		return None
	return frappe.db.get_value("Chatbot Remote Access", {"contact": contact, "remote_site": site})


def default_remote_site(contact: str | None) -> str | None:
	"""Where a command that names no site runs for this contact: their default remote site if it
	is enabled and still theirs, else None (this site)."""
	if not contact:
		return None
	site = frappe.db.get_value("Chatbot Remote Access", {"contact": contact, "is_default": 1}, "remote_site")
	return site if site and site in remote_sites(contact) else None


NEVER_MAPPED = ("Administrator", "Guest")
# roles every user of a kind holds: they say nothing about how privileged someone is
AUTOMATIC_ROLES = frozenset(("Administrator", "Guest", "All", "Desk User"))


def may_map(user_to_map: str | None, acting_user: str | None = None, require_enabled: bool = True) -> bool:
	"""May `acting_user` (default: the session user) point a WhatsApp number at `user_to_map`?

	Mapping a number is handing out that User's powers to whoever holds the phone, so this is the
	one rule every path that links a number to a User goes through (the Chatbot Contact form, REST,
	Data Import, Link Staff, Remote Access rows and the Playground):
	- Administrator and Guest are never mapped;
	- a System Manager may map any other (enabled) User;
	- a WhatsApp Chatbot Manager may map only a User who is not a System Manager and whose roles
	  are all roles the manager holds: nobody more privileged than themself;
	- anyone else maps nobody.

	`require_enabled=False` is for the User a contact is being taken away from (or whose number is
	changed): a departed, disabled employee's contact must still be re-linkable, but only by
	someone who could have mapped them."""
	if not user_to_map or user_to_map in NEVER_MAPPED:
		return False
	enabled = frappe.db.get_value("User", user_to_map, "enabled")
	if enabled is None or (require_enabled and not enabled):
		return False
	acting_roles = set(frappe.get_roles(acting_user or frappe.session.user))
	if "System Manager" in acting_roles:
		return True
	if MANAGER_ROLE not in acting_roles:
		return False
	roles = set(frappe.get_roles(user_to_map)) - AUTOMATIC_ROLES
	return "System Manager" not in roles and roles <= acting_roles


def require_may_map(user_to_map: str | None, require_enabled: bool = True) -> None:
	if not may_map(user_to_map, require_enabled=require_enabled):
		frappe.throw(
			frappe._(
				"You may not link a WhatsApp number to {0}: only a System Manager may map a User with"
				" roles you do not hold (and Administrator never)"
			).format(user_to_map),
			frappe.PermissionError,
		)


def may_try_as(user: str | None) -> bool:
	"""Who may chat as `user` in the Playground (commands run with that User's permissions): a
	System Manager as anyone they may map, a WhatsApp Chatbot Manager only as themself. Otherwise a
	chatbot manager could act as the finance director by picking their contact."""
	if not user or not may_map(user, require_enabled=False):  # a disabled User is refused later, saying so
		return False
	return user == frappe.session.user or "System Manager" in frappe.get_roles()


def may_subscribe_for(user: str | None, acting_user: str | None = None) -> bool:
	"""Who may make or change a Chatbot Subscription that runs as `user` (its command runs with
	that User's permissions and its answers go to that User's phone): the User themself (from
	WhatsApp, after their own Confirm), or someone who may map a number to that User (a manager in
	the Desk: nobody more privileged than themself). Pausing one needs only the DocType's write
	permission, which managers hold; chat users have none (they use /subscriptions, /unsubscribe)."""
	acting = acting_user or frappe.session.user
	if not user or user in NEVER_MAPPED:
		return False
	return acting == user or may_map(user, acting, require_enabled=False)
