"""WhatsApp Notifications benchmark: what a save pays, and how a 500-recipient notification fans out.

1. Saving a document (a ToDo, and a draft Sales Order) N times, median and p95 per save (save and
   commit, as a request does), with: no WhatsApp notification anywhere; WhatsApp notifications on
   other DocTypes; a WhatsApp notification on that DocType whose condition is false; and one that
   fires on every save (render + one RQ job pushed after commit; no worker runs in this part).
2. One notification (Submit of a real Sales Order) to 500 users, each with a Chatbot Contact inside
   the 24-hour window and the role the notification names: the submit's time, then with real RQ
   workers (`bench worker`) the time until all 500 messages are queued (the one fan-out job: Frappe's
   recipients, 500 permission checks, 500 rows) and the send rate through the outbox to the Graph
   stand-in, against Meta's 80 messages/s per business number.

Everything it makes is named with a run id and removed at the end (users, contacts, role,
notifications, orders, messages).

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/notifications.py --site test.localhost
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from contextlib import contextmanager

ROUNDS = 5
META_RATE = 80  # messages per second per business phone number (Cloud API default throughput)


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="test.localhost")
	parser.add_argument("-n", "--saves", type=int, default=200, help="saves per ToDo configuration")
	parser.add_argument("--order-saves", type=int, default=40, help="saves per Sales Order configuration")
	parser.add_argument("--recipients", type=int, default=500)
	parser.add_argument("--workers", default="2,4", help="worker counts to send with, e.g. 2,4")
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	from whatsapp_chatbot.tests import factories as f
	from whatsapp_chatbot.tests.erpnext_data import make_erpnext_data
	from whatsapp_chatbot.tests.fake_graph import FakeGraph

	bench = Bench(frappe, f, make_erpnext_data(), frappe.generate_hash(length=6))
	graph = FakeGraph(access_token=f.ACCESS_TOKEN).start()
	f.clean()
	f.make_settings(graph.base_url, max_send_attempts=4)
	try:
		bench.save_costs(args.saves, args.order_saves)
		for workers in [int(w) for w in args.workers.split(",") if w.strip()]:
			bench.fan_out(args.recipients, workers, graph)
	finally:
		bench.cleanup()
		graph.stop()


class Bench:
	def __init__(self, frappe, factories, facts, run_id: str):
		self.frappe, self.f, self.facts, self.run = frappe, factories, facts, run_id
		self.notifications: list[str] = []
		self.orders: list[str] = []
		self.users: list[str] = []
		self.role = f"WCB Bench Notify {run_id}"

	# -- part 1: what a save pays ----------------------------------------------------------------

	def save_costs(self, saves: int, order_saves: int) -> None:
		frappe = self.frappe
		reader = self.f.make_chat_user(
			f"wcb-bench-reader-{self.run}@example.com", ("Sales User", "System Manager")
		)
		self.users.append(reader)
		self.f.make_contact(
			f"5219{self.run_digits()}0000", user=reader, last_inbound_at=frappe.utils.now_datetime()
		)
		todo = frappe.get_doc(
			{"doctype": "ToDo", "description": f"bench {self.run}", "allocated_to": reader}
		).insert()
		order = self.draft_order()
		print(
			f"\nnotifications: save cost, median / p95 per save+commit ({saves} ToDo saves, {order_saves}"
			f" Sales Order saves per configuration, in {ROUNDS} interleaved rounds)"
		)
		others = [
			self.notification(doctype, event, reader_role="Sales User")
			for doctype in (
				"Sales Invoice",
				"Purchase Order",
				"Delivery Note",
				"Quotation",
				"Customer",
				"Item",
			)
			for event in ("Save", "Submit")
			if event == "Save" or frappe.get_meta(doctype).is_submittable
		]
		never = "doc.status == 'Never'"
		here_off = [
			self.notification("ToDo", "Save", condition=never, reader_role="System Manager"),
			self.notification("Sales Order", "Save", condition=never, reader_role="Sales User"),
		]
		here_on = [
			self.notification("ToDo", "Save", reader_role="System Manager"),
			self.notification("Sales Order", "Save", reader_role="Sales User"),
		]
		# Frappe's own channel firing on the same saves: what any notification costs Frappe (it
		# reloads the document before sending, whatever the channel)
		frappes = [
			self.notification("ToDo", "Save", reader_role="System Manager", channel="System Notification"),
			self.notification("Sales Order", "Save", reader_role="Sales User", channel="System Notification"),
		]
		configs = {
			"no WhatsApp notification": [],
			f"{len(others)} WhatsApp notifications on other DocTypes": others,
			"+ one on this DocType, condition false": [*others, *here_off],
			"+ one on this DocType that fires (1 recipient)": [*others, *here_on],
			"  (instead: Frappe's System Notification fires)": [*others, *frappes],
		}
		times = {label: ([], []) for label in configs}
		calls = {label: Counter() for label in configs}
		for _ in range(ROUNDS):
			for label, enabled in configs.items():
				self.enable(enabled)
				with counting(calls[label]):
					times[label][0].extend(self.time_saves(todo, saves // ROUNDS))
					times[label][1].extend(self.time_saves(order, order_saves // ROUNDS))
		for label, (todo_times, order_times) in times.items():
			print(
				f"  {label:<48} ToDo {fmt(todo_times)}   Sales Order {fmt(order_times)}"
				f"   (Frappe evaluated a notification {calls[label]['evaluate_alert']}x, ours rendered"
				f" {calls[label]['notify']}x)"
			)
		self.f.clear_jobs()  # the fired notifications' jobs: no worker ran in this part
		self.clear_frappe_logs_jobs()
		for name in list(self.notifications):
			frappe.delete_doc("Notification", name, force=True, ignore_permissions=True)
			self.notifications.remove(name)
		frappe.delete_doc("ToDo", todo.name, force=True, ignore_permissions=True)
		self.f.clean()

	def clear_frappe_logs_jobs(self) -> None:
		"""The System Notification runs queued Notification Logs: nobody should get them."""
		from frappe.utils.background_jobs import get_queue

		site = f"{self.frappe.local.site}::"
		for job in get_queue("default").get_jobs():
			method = str((job.kwargs or {}).get("method", ""))
			if job.id.startswith(site) and method.endswith("notification_log.make_notification_logs"):
				job.delete()

	def enable(self, names: list[str]) -> None:
		"""Only these notifications enabled (Frappe's per-DocType cache of them cleared, as a save
		of a Notification does)."""
		frappe = self.frappe
		for name in self.notifications:
			frappe.db.set_value("Notification", name, "enabled", int(name in names))
		frappe.cache.delete_value("notifications")
		frappe.db.commit()

	def time_saves(self, doc, count: int) -> list[float]:
		"""Each save on a document loaded afresh, as each request loads it (a Document keeps the
		notifications of its DocType in its flags once it has looked them up), timed from save to
		commit; the load is not timed."""
		frappe = self.frappe
		field = "description" if doc.doctype == "ToDo" else "po_no"
		times = []
		for index in range(-3, count):  # three saves first warm the caches, as a running site has them
			fresh = frappe.get_doc(doc.doctype, doc.name)
			fresh.set(field, f"{self.run} {index} {time.time()}")
			started = time.perf_counter()
			fresh.save()
			frappe.db.commit()
			if index >= 0:
				times.append(time.perf_counter() - started)
		return times

	# -- part 2: one notification, 500 recipients --------------------------------------------------

	def fan_out(self, count: int, workers: int, graph) -> None:
		from whatsapp_chatbot.tests.processes import Worker

		frappe = self.frappe
		self.recipients(count)
		baseline = self.draft_order()
		started = time.perf_counter()
		baseline.submit()
		frappe.db.commit()
		submit_without = time.perf_counter() - started
		pool = [Worker("short", name=f"bench-notify-{i}").start() for i in range(workers)]
		try:
			warm(frappe, workers)  # workers booted and idle: the figures are the notification's
			name = self.notification("Sales Order", "Submit", reader_role=self.role)
			graph.reset()
			order = self.draft_order()
			started = time.perf_counter()
			order.submit()
			frappe.db.commit()
			submit = time.perf_counter() - started
			queued_at = wait(
				lambda: frappe.db.count("Chatbot Message", {"reference_name": order.name}) >= count,
				frappe,
				600,
			)
			sent_at = wait(
				lambda: (
					frappe.db.count("Chatbot Message", {"reference_name": order.name, "status": "Sent"})
					>= count
				),
				frappe,
				1200,
			)
		finally:
			for worker in pool:
				worker.stop()
		times = sorted(
			r.at for r in graph.requests if r.json and r.json.get("_ok") and r.path.endswith("/messages")
		)
		window = times[-1] - times[0] if len(times) > 1 else float("nan")
		rate = (len(times) - 1) / window if window else float("nan")
		failed = frappe.db.count("Chatbot Message", {"reference_name": order.name, "status": ("!=", "Sent")})
		print(f"\nnotifications: one notification to {count} recipients, {workers} worker(s) on `short`")
		created = frappe.get_all(
			"Chatbot Message",
			filters={"reference_name": order.name},
			pluck="creation",
			order_by="creation asc",
		)
		print(
			f"  submit: {submit_without * 1000:.0f} ms without the notification, {submit * 1000:.0f} ms with it"
			" (render + one job pushed)"
		)
		print(
			f"  submit → all {count} messages queued: {queued_at - started:.1f} s (the fan-out job wrote them"
			f" in {(created[-1] - created[0]).total_seconds():.1f} s)"
		)
		print(
			f"  submit → all sent: {sent_at - started:.1f} s; at the Graph stand-in {rate:.1f} messages/s"
			f" over {window:.1f} s ({len(times)} sends, {failed} not Sent)"
		)
		verdict = "within" if rate <= META_RATE else "ABOVE"
		print(
			f"  {verdict} Meta's {META_RATE} messages/s per business number; {rate / workers:.1f} messages/s per worker"
		)
		frappe.delete_doc("Notification", name, force=True, ignore_permissions=True)
		self.notifications.remove(name)
		self.f.clean()

	def recipients(self, count: int) -> None:
		"""`count` users holding the notification's role, each with a contact in the window. The
		users are written in bulk (this measures the notification, not User.insert); the contacts
		through the DocType, as Link Staff makes them."""
		frappe = self.frappe
		from frappe.utils import now_datetime

		from whatsapp_chatbot.permissions import CHAT_ROLE

		started = time.perf_counter()
		if not frappe.db.exists("Role", self.role):
			frappe.get_doc({"doctype": "Role", "role_name": self.role, "desk_access": 1}).insert()
			now = now_datetime()
			users = [f"wcb-bench-{self.run}-{index}@example.com" for index in range(count)]
			frappe.db.bulk_insert(
				"User",
				[
					"name",
					"email",
					"first_name",
					"enabled",
					"user_type",
					"creation",
					"modified",
					"owner",
					"modified_by",
				],
				[
					(u, u, u.split("@")[0], 1, "System User", now, now, "Administrator", "Administrator")
					for u in users
				],
			)
			frappe.db.bulk_insert(
				"Has Role",
				["name", "parent", "parenttype", "parentfield", "role", "creation", "modified"],
				[
					(frappe.generate_hash(length=12), u, "User", "roles", role, now, now)
					for u in users
					for role in ("Sales User", CHAT_ROLE, self.role)
				],
			)
			self.users += users
		digits = self.run_digits()
		for index, user in enumerate(u for u in self.users if u.startswith(f"wcb-bench-{self.run}-")):
			self.f.make_contact(f"5218{digits}{index:04d}", user=user, last_inbound_at=now_datetime())
		frappe.db.commit()
		print(f"\n(made {count} contacts for users of the role in {time.perf_counter() - started:.0f} s)")

	# -- fixtures ---------------------------------------------------------------------------------

	def notification(
		self,
		doctype: str,
		event: str,
		reader_role: str,
		condition: str | None = None,
		channel: str = "WhatsApp",
	) -> str:
		doc = self.frappe.get_doc(
			{
				"doctype": "Notification",
				"name": f"WCB Bench {self.run} {len(self.notifications)} {doctype} {event}",
				"document_type": doctype,
				"event": event,
				"channel": channel,
				"subject": "{{ doc.name }} changed",
				"enabled": 1,
				"condition": condition,
				"message": "<p><b>{{ doc.name }}</b> changed</p><ul><li>{{ doc.modified }}</li></ul>",
				"recipients": [{"receiver_by_role": reader_role}],
			}
		).insert(ignore_permissions=True)
		self.frappe.db.commit()
		self.notifications.append(doc.name)
		return doc.name

	def draft_order(self):
		from whatsapp_chatbot.tests.erpnext_data import sales_order

		doc = sales_order(self.facts.anchor, self.facts.customers[0], "SKU-1", qty=1, rate=250)
		doc.insert()
		self.frappe.db.commit()
		self.orders.append(doc.name)
		return doc

	def run_digits(self) -> str:
		return f"{int(self.run, 16) % 10**4:04d}"

	def cleanup(self) -> None:
		frappe = self.frappe
		frappe.db.rollback()
		self.f.clean()
		for name in self.notifications:
			frappe.delete_doc("Notification", name, force=True, ignore_permissions=True)
		frappe.cache.delete_value("notifications")
		for order in self.orders:
			doc = frappe.get_doc("Sales Order", order)
			if doc.docstatus == 1:
				doc.cancel()
			frappe.db.delete("Comment", {"reference_doctype": "Sales Order", "reference_name": order})
			frappe.delete_doc("Sales Order", order, force=True, ignore_permissions=True)
		bulk = [u for u in self.users if u.startswith(f"wcb-bench-{self.run}-")]
		for user in self.users:
			if user not in bulk:
				frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		for chunk in range(0, len(bulk), 200):
			part = bulk[chunk : chunk + 200]
			frappe.db.delete("Has Role", {"parent": ("in", part)})
			frappe.db.delete("User", {"name": ("in", part)})
		if frappe.db.exists("Role", self.role):
			frappe.db.delete("Has Role", {"role": self.role})
			frappe.delete_doc("Role", self.role, force=True, ignore_permissions=True)
		frappe.db.commit()


def fmt(times: list[float]) -> str:
	ordered = sorted(times)
	p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
	return f"{statistics.median(ordered) * 1000:6.2f} / {p95 * 1000:6.2f} ms"


@contextmanager
def counting(counter: Counter):
	"""Count Frappe's evaluate_alert (run per notification of the saved DocType) and our render
	(run per WhatsApp notification that fires) while saving: instrumentation, nothing replaced."""
	from frappe.email.doctype.notification import notification

	from whatsapp_chatbot.notifications import fanout

	originals = {
		"evaluate_alert": (notification, notification.evaluate_alert),
		"notify": (fanout, fanout.notify),
	}

	def wrap(name, original):
		def counted(*args, **kwargs):
			counter[name] += 1
			return original(*args, **kwargs)

		return counted

	for name, (module, original) in originals.items():
		setattr(module, name, wrap(name, original))
	try:
		yield
	finally:
		for name, (module, original) in originals.items():
			setattr(module, name, original)


def warm(frappe, workers: int) -> None:
	jobs = [frappe.enqueue("frappe.ping", queue="short") for _ in range(workers * 2)]
	deadline = time.monotonic() + 120
	while any(job.get_status(refresh=True) != "finished" for job in jobs):
		if time.monotonic() > deadline:
			raise TimeoutError("the workers did not start")
		time.sleep(0.2)


def wait(predicate, frappe, timeout: float) -> float:
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		frappe.db.rollback()  # a fresh snapshot of what the workers committed
		if predicate():
			return time.perf_counter()
		time.sleep(0.1)
	raise TimeoutError("the workers did not finish")


if __name__ == "__main__":
	main()
