"""Users with API keys on the test bench's second site (the "remote"), made and removed from a test
running on another site: `on_site` runs one of these functions there through `bench execute`, in a
process of its own, so the test's own site connection is never swapped.

Also a real read-only MariaDB user for the SQL report tests (SELECT on one database only)."""

from __future__ import annotations

import json
import os
import sys
import unittest

import frappe

from whatsapp_chatbot.tests.processes import bench_command, sites_path

REMOTE_SITE = "remote.localhost"
# printed before the reason when remote tests are skipped; .ci/run counts it for its summary
SKIP_MARKER = "WHATSAPP_CHATBOT_REMOTE_TESTS_SKIPPED:"
_remote_checked: list[str | None] = []  # the remote's verdict, asked once per test run


def remote_unavailable() -> str | None:
	"""Why the second site cannot serve as the remote here, or None."""
	if not _remote_checked:
		reason = None
		if not os.path.isfile(os.path.join(sites_path(), REMOTE_SITE, "site_config.json")):
			reason = f"this bench has no site {REMOTE_SITE} (a second site with ERPNext and this app)"
		else:
			try:
				apps = on_site(REMOTE_SITE, "frappe.get_installed_apps") or []
			except Exception as error:
				apps, reason = [], f"{REMOTE_SITE} did not answer: {str(error)[-300:]}"
			missing = [app for app in ("erpnext", "whatsapp_chatbot") if app not in apps]
			if not reason and missing:
				reason = f"{REMOTE_SITE} lacks {', '.join(missing)}"
		_remote_checked.append(reason)
	return _remote_checked[0]


def skip_unless_remote(sshd: bool = False) -> None:
	"""Skip (saying why, after SKIP_MARKER) when the remote site, or sshd if asked, is missing."""
	from whatsapp_chatbot.tests.sshd import sshd_unavailable

	reason = remote_unavailable() or (sshd_unavailable() if sshd else None)
	if reason:
		print(f"{SKIP_MARKER} {reason}", file=sys.stderr)
		raise unittest.SkipTest(reason)


def on_site(site: str, method: str, **kwargs):
	"""Run `method(**kwargs)` on another site of this bench; its JSON return value."""
	result = bench_command(site, "execute", method, "--kwargs", json.dumps(kwargs))
	if result.returncode:
		raise RuntimeError(f"{method} on {site} failed: {result.stderr[-2000:]}")
	lines = [line for line in result.stdout.splitlines() if line.strip()]
	return json.loads(lines[-1]) if lines else None


def make_api_user(email: str, roles: list[str]) -> dict:
	"""(on the remote) A System User with these roles only, and an API key/secret."""
	if frappe.db.exists("User", email):
		frappe.delete_doc("User", email, ignore_permissions=True, force=True)
	from whatsapp_chatbot.tests.factories import new_users_allowed

	with new_users_allowed():  # this `bench execute` process is no test run: Frappe's hourly limit applies
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": email.split("@")[0],
				"send_welcome_email": 0,
				"user_type": "System User",
				"roles": [{"role": role} for role in roles],
			}
		).insert(ignore_permissions=True)
	secret = frappe.generate_hash(length=15)
	user.api_key = frappe.generate_hash(length=15)
	user.api_secret = secret
	user.save(ignore_permissions=True)
	frappe.db.commit()
	return {"user": user.name, "api_key": user.api_key, "api_secret": secret}


def drop_user(email: str) -> None:
	"""(on the remote)"""
	if frappe.db.exists("User", email):
		frappe.delete_doc("User", email, ignore_permissions=True, force=True)
		frappe.db.commit()


def site_database(site: str) -> str:
	with open(os.path.join(sites_path(), site, "site_config.json")) as f:
		return json.load(f)["db_name"]


def _root():
	import pymysql

	conf = frappe.get_conf()
	return pymysql.connect(
		host=conf.db_host or "127.0.0.1",
		port=int(conf.db_port or 3306),
		user="root",
		password=conf.get("root_password") or "",
		autocommit=True,
	)


def make_readonly_db_user(name: str, password: str, database: str) -> None:
	"""A MariaDB user that may SELECT from `database` and do nothing else."""
	with _root() as connection, connection.cursor() as cursor:
		cursor.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (name, password))
		cursor.execute(f"GRANT SELECT ON `{database}`.* TO %s@'%%'", (name,))


def drop_db_user(name: str) -> None:
	with _root() as connection, connection.cursor() as cursor:
		cursor.execute("DROP USER IF EXISTS %s@'%%'", (name,))
