"""Schedulers ticking at once: each tick of subscriptions/due.py in a process of its own, with its own
database connection, all released at the same instant. Used by the tests and by
benchmarks/subscriptions_tick.py; run as a script it is one such process:

    python -m whatsapp_chatbot.tests.ticks SITE START_AT   (from the bench's sites folder)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

TICK = "whatsapp_chatbot.tests.ticks"


def at_once(site: str, sites_path: str, processes: int = 2, lead: float = 6.0) -> list[dict]:
	"""Start `processes` ticks that wait for the same moment (`lead` seconds from now: time to
	import Frappe and connect), then tick; what each claimed and how long its tick took."""
	start_at = time.time() + lead
	running = [
		subprocess.Popen(
			[sys.executable, "-m", TICK, site, str(start_at)],
			cwd=sites_path,
			stdout=subprocess.PIPE,
			stderr=subprocess.PIPE,
			text=True,
		)
		for _ in range(processes)
	]
	results = []
	for process in running:
		out, err = process.communicate(timeout=300)
		if process.returncode:
			raise RuntimeError(f"tick process failed: {err[-2000:]}")
		results.append(json.loads(out.strip().splitlines()[-1]))
	return results


def main(site: str, start_at: float) -> None:
	import frappe

	frappe.init(site=site, sites_path=".")
	frappe.connect()
	try:
		frappe.set_user("Administrator")
		from frappe.utils import now_datetime

		from whatsapp_chatbot.subscriptions import due

		late = time.time() - start_at  # > 0: this process was not ready in time (the lead is too short)
		time.sleep(max(0.0, start_at - time.time()))
		started = time.perf_counter()
		claimed = due.claim_due(now_datetime())  # due.tick, in its two steps, timed
		claiming = time.perf_counter() - started
		due.enqueue_runs(claimed)
		seconds = time.perf_counter() - started
		names = [name for name, _due in claimed]
		print(json.dumps({"claimed": names, "claim_seconds": claiming, "seconds": seconds, "late": late}))
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main(sys.argv[1], float(sys.argv[2]))
