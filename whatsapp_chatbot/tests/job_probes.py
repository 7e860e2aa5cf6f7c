"""Jobs that report on the process and the request state they ran in (test_no_fork_pool.py)."""

import os
import time

import frappe


def whoami() -> dict:
	return {
		"pid": os.getpid(),
		"user": frappe.session.user,
		"local": getattr(frappe.local, "probe_leftover", None),
		"flag": frappe.flags.get("probe_leftover"),
	}


def dirty() -> dict:
	"""Leave state behind in frappe.local, as any job may: the next job must not see it."""
	frappe.local.probe_leftover = "left by the job before"
	frappe.flags.probe_leftover = True
	return whoami()


def sleep(seconds: float) -> int:
	time.sleep(seconds)
	return os.getpid()
