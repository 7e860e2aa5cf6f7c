"""Install, migrate, uninstall and test-setup hooks."""

from __future__ import annotations

import frappe

from whatsapp_chatbot import permissions
from whatsapp_chatbot.notifications import setup as notifications_setup

APP_DOCTYPES_MODULE = "WhatsApp Chatbot"


def before_install():
	# DocType permissions name these roles, so they exist before the DocTypes are synced.
	make_roles()


def after_install():
	make_roles()
	notifications_setup.install()


def after_migrate():
	make_roles()
	notifications_setup.install()
	notifications_setup.check_override()


def make_roles():
	for role in permissions.ROLES:
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert(
				ignore_permissions=True
			)


def before_uninstall():
	"""Leave nothing behind that names this app: scheduled jobs, our roles, the WhatsApp channel
	and fields on the Notification form (WhatsApp notifications are disabled).

	Frappe removes the module's DocTypes and their tables itself.
	"""
	notifications_setup.remove()
	for name in frappe.get_all(
		"Scheduled Job Type", filters={"method": ("like", "whatsapp_chatbot.%")}, pluck="name"
	):
		frappe.delete_doc("Scheduled Job Type", name, ignore_permissions=True, force=True)
	for role in permissions.ROLES:
		if frappe.db.exists("Role", role):
			frappe.db.delete("Has Role", {"role": role})
			frappe.delete_doc("Role", role, ignore_permissions=True, force=True)


def before_tests():
	"""An app on ERPNext needs a completed setup wizard before its tests (as hrms does)."""
	from whatsapp_chatbot.tests import children

	# servers a run killed outright left behind (gunicorn, Socket.IO on its fixed port, sshd) are
	# stopped; this run's own are stopped however it ends
	children.prepare()
	frappe.clear_cache()
	# Frappe refuses more than `throttle_user_limit` (60) new Users an hour, and one run of this suite
	# makes dozens (a user per permission case): lift it for this test process only
	frappe.local.conf.throttle_user_limit = max(
		int(frappe.local.conf.get("throttle_user_limit") or 60), 10_000
	)
	if not frappe.db.a_row_exists("Company"):
		from frappe.desk.page.setup_wizard.setup_wizard import setup_complete
		from frappe.utils import getdate

		year = getdate().year
		setup_complete(
			{
				"currency": "USD",
				"full_name": "Test User",
				"company_name": "WhatsApp Chatbot Setup Co",
				"timezone": "America/Mexico_City",
				"company_abbr": "WCSC",
				"industry": "Manufacturing",
				"country": "Mexico",
				"fy_start_date": f"{year}-01-01",
				"fy_end_date": f"{year}-12-31",
				"language": "english",
				"company_tagline": "Testing",
				"email": "test@example.com",
				"password": "test",
				"chart_of_accounts": "Standard",
			}
		)
	make_roles()
	frappe.db.commit()
