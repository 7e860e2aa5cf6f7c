"""Subscriptions tick benchmark: one scheduler tick with N subscriptions due, and two at once.

Inserts N Chatbot Subscriptions due now (unique names of this run, for a contact of this run that is
disabled, so that a job a worker might take runs nothing and sends nothing), then:

1. one tick in this process: time to read and claim the due rows (conditional UPDATE each, one
   commit) and to queue one run job per claimed row;
2. the rows due again, two ticks at the same instant in two processes with their own database
   connections (tests/ticks.py), as two schedulers would: what each claimed, each one's time, the
   runs claimed twice (must be 0) and the run jobs queued (must be N).

The rows, the jobs queued for them, the contact and its user are removed at the end, however the
run ends. Issue 13 names `benchmarks/approvals.py` for both figures; that file is the approvals'
(another helper's): this is the subscriptions' half.

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/subscriptions_tick.py --site test.localhost -n 1000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from collections import Counter

DOCTYPE = "Chatbot Subscription"
RUN_JOB = "whatsapp_chatbot.jobs.subscriptions.run_subscription"


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="test.localhost")
	parser.add_argument("-n", "--subscriptions", type=int, default=1000)
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")

	run = frappe.generate_hash(length=6).lower()
	with contextlib.ExitStack() as cleanup:
		contact = _contact(frappe, run, cleanup)
		names = _insert(frappe, contact, run, args.subscriptions)
		cleanup.callback(_remove, frappe, names)
		print(f"{len(names)} subscriptions due now (SUB-BENCH-{run}-…)")
		_one_tick(frappe, names)
		_reset(frappe, names)
		_two_ticks(frappe, args.site, names)


def _contact(frappe, run: str, cleanup):
	from whatsapp_chatbot.tests import factories as f

	user = f.make_user(f"chatbot-subs-bench-{run}@example.com")
	contact = f.make_contact(f"52155{int(run, 16) % 10**8:08d}", user=user, enabled=0)

	def remove():
		frappe.db.delete("Chatbot Contact", contact.name)
		frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.db.commit()

	cleanup.callback(remove)
	return contact


def _insert(frappe, contact, run: str, count: int) -> list[str]:
	"""Rows written straight to the table (the form's checks are not what is measured)."""
	from frappe.utils import add_to_date, now_datetime

	now = now_datetime()
	due = add_to_date(now, minutes=-1)
	fields = [
		"name", "creation", "modified", "owner", "modified_by", "docstatus", "idx", "title", "contact",
		"user", "number", "enabled", "command", "arguments", "frequency", "send_at", "next_run_at", "failures",
	]  # fmt: skip
	names = [f"SUB-BENCH-{run}-{i:05d}" for i in range(count)]
	values = [
		(name, now, now, "Administrator", "Administrator", 0, 0, f"bench {i}", contact.name, contact.user,
		 i + 1, 1, "stock_balance", json.dumps({"item": "TORN-M8"}), "Daily", "08:00:00", due, 0)
		for i, name in enumerate(names)
	]  # fmt: skip
	frappe.db.bulk_insert(DOCTYPE, fields, values)
	frappe.db.commit()
	return names


def _one_tick(frappe, names: list[str]) -> None:
	from frappe.utils import now_datetime

	from whatsapp_chatbot.subscriptions import due

	started = time.perf_counter()
	claimed = due.claim_due(now_datetime())
	claimed_at = time.perf_counter()
	due.enqueue_runs(claimed)
	done = time.perf_counter()
	ours = [name for name, _ in claimed if name in set(names)]
	queued = _queued(frappe, names)
	print("\none tick (this process)")
	print(f"  claimed          {len(ours)} of {len(names)}")
	print(
		f"  claim            {claimed_at - started:.3f} s  ({1000 * (claimed_at - started) / max(1, len(ours)):.2f} ms/row)"
	)
	print(
		f"  enqueue          {done - claimed_at:.3f} s  ({1000 * (done - claimed_at) / max(1, len(ours)):.2f} ms/job)"
	)
	print(f"  tick total       {done - started:.3f} s")
	print(f"  run jobs queued  {len(queued)}")
	_remove_jobs(queued)


def _reset(frappe, names: list[str]) -> None:
	from frappe.utils import add_to_date, now_datetime

	frappe.db.sql(
		f"update `tab{DOCTYPE}` set next_run_at = %s where name in %s",
		(add_to_date(now_datetime(), minutes=-1), tuple(names)),
	)
	frappe.db.commit()


def _two_ticks(frappe, site: str, names: list[str]) -> None:
	from whatsapp_chatbot.tests.ticks import at_once

	results = at_once(site, os.path.abspath(frappe.local.sites_path))
	mine = set(names)
	claims = Counter(name for r in results for name in r["claimed"] if name in mine)
	queued = _queued(frappe, names)
	per_run = Counter(job.kwargs["kwargs"]["subscription"] for job in queued)
	print("\ntwo ticks at once (two processes, own connections, released together)")
	for index, result in enumerate(results, 1):
		ours = sum(1 for name in result["claimed"] if name in mine)
		print(
			f"  tick {index}           claimed {ours:5d}   claim {result['claim_seconds']:.3f} s   "
			f"tick {result['seconds']:.3f} s   ready {-result['late']:.1f} s early"
		)
	print(f"  claimed in all   {len(claims)} of {len(names)}")
	print(f"  claimed twice    {sum(1 for c in claims.values() if c > 1)}")
	print(f"  run jobs queued  {len(queued)} ({sum(1 for c in per_run.values() if c > 1)} runs queued twice)")
	_remove_jobs(queued)


def _queued(frappe, names: list[str]) -> list:
	from frappe.utils.background_jobs import get_queue

	mine = set(names)
	return [
		job
		for job in get_queue("short").get_jobs()
		if (job.kwargs or {}).get("method") == RUN_JOB and job.kwargs["kwargs"].get("subscription") in mine
	]


def _remove_jobs(jobs: list) -> None:
	for job in jobs:
		job.delete()


def _remove(frappe, names: list[str]) -> None:
	_remove_jobs(_queued(frappe, names))
	frappe.db.rollback()
	frappe.db.sql(f"delete from `tab{DOCTYPE}` where name in %s", (tuple(names),))
	frappe.db.commit()


if __name__ == "__main__":
	main()
