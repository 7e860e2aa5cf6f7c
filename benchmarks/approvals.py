"""Approvals benchmark: from a document's workflow transition to its approver's WhatsApp message.

Part `approvals` (this file's first part; others may add theirs as functions in PARTS):

- a Purchase Order workflow (tests/workflow_fixture.py) with two approvers holding contacts and
  one RQ worker on the short queue, as a site runs it;
- N times: a Purchase Order is saved into Pending as its requester (Frappe inserts the Workflow
  Action, whose after_insert enqueues the notification job after the commit); timed until the
  approver's message is a Chatbot Message row (polling the database) and until it reached the
  Graph stand-in (the notification job commits the messages, then sends them itself);
- the save itself, with the chatbot enabled and disabled (the only thing the save pays for is the
  enqueue; nothing of the app runs on saves of documents without a workflow).

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/approvals.py --site test.localhost --part approvals -n 50

Writes Purchase Orders, Chatbot Messages and Approvals and removes them (and the workflow) at the end.
"""

from __future__ import annotations

import argparse
import statistics
import time

QUIET = 0.5  # seconds before each timed save


def _pct(values: list[float], q: float) -> float:
	ordered = sorted(values)
	return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _line(label: str, values: list[float]) -> str:
	return (
		f"{label:<44} median {statistics.median(values) * 1000:7.1f} ms   "
		f"p90 {_pct(values, 0.9) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms   (n={len(values)})"
	)


def approvals(args) -> None:
	import frappe

	from whatsapp_chatbot.tests import factories as f
	from whatsapp_chatbot.tests import workflow_fixture as wf
	from whatsapp_chatbot.tests.erpnext_data import make_erpnext_data
	from whatsapp_chatbot.tests.fake_graph import FakeGraph
	from whatsapp_chatbot.tests.processes import Worker

	make_erpnext_data()
	graph = FakeGraph(access_token=f.ACCESS_TOKEN).start()
	f.clean()
	f.make_settings(graph.base_url)
	wf.make_users()
	reactivate = wf.make_workflow()
	approver = f.make_contact("5215570000101", user=wf.APPROVER, last_inbound_at=frappe.utils.now_datetime())
	f.make_contact("5215570000102", user=wf.SECOND_APPROVER, last_inbound_at=frappe.utils.now_datetime())
	worker = Worker(queues="short", name="bench-approvals-worker").start()
	orders, queued, delivered, in_outbox = [], [], [], []
	saves = {"enabled": [], "disabled": []}
	try:

		def transition() -> tuple[str, float, float]:
			started = time.perf_counter()
			name = wf.new_order()  # insert + commit as the requester: the transition into Pending
			saved = time.perf_counter()
			orders.append(name)
			return name, started, saved - started

		def wait_queued(name: str) -> None:
			deadline = time.monotonic() + 60
			while time.monotonic() < deadline:
				frappe.db.rollback()  # see what the worker committed
				if frappe.db.exists("Chatbot Message", {"reference_name": name, "contact": approver.name}):
					return
				time.sleep(0.005)
			raise TimeoutError(f"no message queued for {name}")

		for _ in range(3):  # warm-up: the worker's imports, Frappe's caches
			name, _started, _saved = transition()
			wait_queued(name)
		for index in range(2 * args.n):  # enabled and disabled in turn: the same site, the same moment
			enabled = index % 2 == 0
			frappe.db.set_single_value("WhatsApp Chatbot Settings", "enabled", int(enabled))
			frappe.db.commit()
			time.sleep(QUIET)  # the worker done with the previous one: the save does not share the CPU
			before = len(graph.sent_messages())
			name, started, saved = transition()
			saves["enabled" if enabled else "disabled"].append(saved)
			if not enabled:
				continue  # the hook returned at once: nothing is sent
			wait_queued(name)
			queued.append(time.perf_counter() - started)
			graph.wait_for(
				lambda g, b=before: [m for m in g.sent_messages()[b:] if m.get("to") == approver.wa_id], 60
			)
			delivered.append(time.perf_counter() - started)
		frappe.db.rollback()
		for row in frappe.get_all(
			"Chatbot Message",
			filters={"contact": approver.name, "reference_name": ("in", orders)},
			fields=["creation", "sent_at"],
		):
			if row.sent_at:
				in_outbox.append((row.sent_at - row.creation).total_seconds())
		hook = _hook_cost(frappe, args.n)
		job = _job_cost(frappe, wf, orders[3:][: args.n])
	finally:
		worker.stop()
		graph.stop()
		frappe.set_user("Administrator")
		for name in orders:
			if frappe.db.exists(wf.DOCTYPE, name):
				wf.delete_order(name)
		wf.remove(reactivate)
		f.clean()
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "enabled", 1)
		frappe.db.commit()

	print(f"Approvals: {args.n} Purchase Orders into a workflow state with 2 approvers (1 RQ worker)")
	print(_line("transition → approver's message queued", queued))
	print(_line("transition → message at the Graph stand-in", delivered))
	print(_line("queued → sent, same job (rows' timestamps)", in_outbox))
	print(_line("save into the state, chatbot enabled", saves["enabled"]))
	print(_line("save into the state, chatbot disabled", saves["disabled"]))
	print(_line("the notification job's own work, in-process", job))
	print(_line("the hook alone: enqueue after commit + commit", hook))


def _hook_cost(frappe, n: int) -> list[float]:
	"""What the save of a document entering a workflow state pays for approvals: the Workflow
	Action's after_insert (one enqueue, sent to Redis at the commit). Its jobs are removed."""
	from whatsapp_chatbot.approvals import trigger
	from whatsapp_chatbot.tests import factories as f

	frappe.db.set_single_value("WhatsApp Chatbot Settings", "enabled", 1)
	frappe.db.commit()
	times = []
	for index in range(n):
		action = frappe._dict(name=f"bench-{index}-{time.time()}", status="Open")
		started = time.perf_counter()
		trigger.on_workflow_action(action)
		frappe.db.commit()
		times.append(time.perf_counter() - started)
	f.clear_jobs()
	return times


def _job_cost(frappe, wf, orders: list[str]) -> list[float]:
	"""The notification job's work without the worker's fork (read the document, find the approvers,
	two Chatbot Approvals and their messages), each rolled back (its send jobs with it) so the orders
	stay as they were."""
	from whatsapp_chatbot.approvals import offers

	times = []
	for name in orders:
		action = frappe.db.get_value("Workflow Action", {"reference_name": name, "status": "Open"})
		if not action:
			continue
		frappe.db.delete("Chatbot Approval", {"workflow_action": action})  # as before its job ran
		started = time.perf_counter()
		offers.notify(action, wf.REQUESTER)
		times.append(time.perf_counter() - started)
		frappe.db.rollback()
	return times


PARTS = {"approvals": approvals}


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="test.localhost")
	parser.add_argument("--part", choices=sorted(PARTS), action="append", help="default: every part")
	parser.add_argument("-n", type=int, default=50, help="transitions timed")
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		for part in args.part or sorted(PARTS):
			PARTS[part](args)
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
