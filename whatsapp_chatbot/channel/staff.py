"""Link staff: Chatbot Contacts for the Users (and ERPNext Employees with a user) who have a mobile
number, so a company is chatting in its first hour instead of typing contacts one by one.

`preview` says what would happen to each person; `link` creates exactly the rows the preview
marked "create" (recomputed on the server, never taken from the browser) among those the manager
ticked. Users without the WhatsApp Chatbot User role are listed and left alone: giving someone
access to ERPNext from their phone is a decision, not a side effect. So are Users the manager may
not map (permissions.may_map: more privileged than themself), with the reason.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.geo.country_info import get_country_info

from whatsapp_chatbot import permissions
from whatsapp_chatbot.channel.contacts import CONTACT
from whatsapp_chatbot.channel.phone import InvalidNumber, calling_code, normalise

CREATE, NO_ROLE, LINKED, INVALID, DUPLICATE = "create", "no_role", "linked", "invalid", "duplicate"
NOT_ALLOWED = "not_allowed"


def site_calling_code() -> str | None:
	country = frappe.db.get_single_value("System Settings", "country")
	return calling_code((get_country_info(country) or {}).get("isd")) if country else None


def _people() -> list[dict]:
	"""(user, raw number, source) for every enabled system user with a mobile number: the User's
	own mobile first, else their Employee's. Read as the manager (get_list): people's numbers are
	shown only to those who may read their User or Employee record."""
	if not frappe.has_permission("User", "read"):
		return []
	users = frappe.get_list(
		"User",
		filters={"enabled": 1, "user_type": "System User", "name": ("not in", ("Administrator", "Guest"))},
		fields=["name", "full_name", "mobile_no", "phone"],
		order_by="full_name asc",
	)
	employee_numbers = {}
	if frappe.db.exists("DocType", "Employee") and frappe.has_permission("Employee", "read"):
		for row in frappe.get_list(
			"Employee",
			filters={"user_id": ("is", "set"), "status": "Active"},
			fields=["user_id", "cell_number", "name"],
		):
			if row.cell_number:
				employee_numbers.setdefault(row.user_id, (row.cell_number, f"Employee {row.name}"))
	people = []
	for user in users:
		if user.mobile_no:
			number, source = user.mobile_no, "User"
		elif user.name in employee_numbers:
			number, source = employee_numbers[user.name]
		else:
			continue
		people.append(
			{"user": user.name, "full_name": user.full_name or user.name, "number": number, "source": source}
		)
	return people


def preview() -> dict:
	code = site_calling_code()
	existing_numbers = dict(
		frappe.get_all(CONTACT, filters={"wa_id": ("is", "set")}, fields=["wa_id", "name"], as_list=True)
	)
	linked_users = set(frappe.get_all(CONTACT, filters={"user": ("is", "set")}, pluck="user"))
	rows, seen = [], {}
	for person in _people():
		row = {**person, "wa_id": None, "action": CREATE, "reason": None}
		try:
			row["wa_id"] = normalise(person["number"], code)
		except InvalidNumber as error:
			row.update(action=INVALID, reason=str(error))
		if row["action"] == CREATE:
			if person["user"] in linked_users:
				row.update(action=LINKED, reason=_("already has a Chatbot Contact"))
			elif row["wa_id"] in existing_numbers:
				row.update(
					action=LINKED,
					reason=_("number already used by {0}").format(existing_numbers[row["wa_id"]]),
				)
			elif row["wa_id"] in seen:
				row.update(action=DUPLICATE, reason=_("same number as {0}").format(seen[row["wa_id"]]))
			elif not permissions.may_map(person["user"]):
				row.update(
					action=NOT_ALLOWED,
					reason=_("has roles you do not hold: only a System Manager may link this User"),
				)
			elif not permissions.user_may_chat(person["user"]):
				row.update(action=NO_ROLE, reason=_("no {0} role").format(permissions.CHAT_ROLE))
		if row["wa_id"] and row["action"] in (CREATE, NO_ROLE, NOT_ALLOWED):
			seen.setdefault(row["wa_id"], person["user"])
		rows.append(row)
	return {
		"may_read_users": frappe.has_permission("User", "read"),
		"country_code": code,
		"rows": rows,
		"to_create": sum(1 for r in rows if r["action"] == CREATE),
	}


def link(users: list[str]) -> list[str]:
	"""Create the contacts the preview offers for `users`; returns the new Chatbot Contact names."""
	wanted = set(users or [])
	created = []
	for row in preview()["rows"]:
		if row["action"] != CREATE or row["user"] not in wanted:
			continue
		contact = frappe.get_doc(
			{
				"doctype": CONTACT,
				"wa_id": row["wa_id"],
				"user": row["user"],
				"profile_name": row["full_name"],
				"enabled": 1,
			}
		).insert()  # as the manager: Chatbot Contact's create permission and may_map apply
		created.append(contact.name)
	return created
