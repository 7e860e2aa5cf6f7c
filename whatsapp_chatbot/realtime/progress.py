"""Progress of a long command: the Chatbot Command row, Frappe realtime for the Desk, WhatsApp for
the user, and cooperative cancellation.

A long command's handler calls `report(percent, note)` between steps and `check_cancelled()` where
stopping is safe. Outside a long job both are no-ops, so the same handler runs inline too.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import frappe
from frappe.utils import get_datetime, now_datetime, time_diff_in_seconds

from whatsapp_chatbot import texts
from whatsapp_chatbot.realtime import side_db, throttle

COMMAND = "Chatbot Command"
EVENT = "whatsapp_chatbot_progress"
HEARTBEAT_SECONDS = 10
HEARTBEAT_TTL = 30


class Cancelled(Exception):
	"""The user asked to stop; raised where the job checks."""


class Progress:
	def __init__(self, command, contact, language: str, settings):
		self.command = command
		self.contact = contact
		self.language = language
		self.steps = throttle.parse_steps(settings.progress_steps or "25,50,75")
		self.interval = float(settings.progress_interval_seconds or 30)

	def __call__(self, percent: float, note: str = "") -> None:
		percent = max(0.0, min(100.0, float(percent)))
		# committed on the side connection: the Desk and the sweep see progress while the job runs,
		# and the command's own writes stay in its transaction, undone if it fails or is cancelled
		try:
			with side_db.bookkeeping():
				self._report(percent, note)
		except (frappe.QueryTimeoutError, frappe.QueryDeadlockError):
			# a row the command's own transaction holds: this report is skipped, the work goes on
			with side_db.bookkeeping():
				frappe.log_error(
					title=f"WhatsApp progress of {self.command.name} skipped",
					message=frappe.get_traceback(with_context=False),
				)

	def _report(self, percent: float, note: str) -> None:
		self.command.db_set({"progress": percent, "progress_note": (note or "")[:140]}, update_modified=False)
		publish(self.command, percent, note)
		step = throttle.should_send(
			percent,
			int(self.command.progress_sent_percent or 0),
			_since(self.command.progress_sent_at),
			_since(_last_message_at(self.command.contact)),
			self.steps,
			self.interval,
		)
		if step is not None:
			self._send(step, note)

	def _send(self, step: int, note: str) -> None:
		from whatsapp_chatbot.channel import outbox

		self.command.db_set(
			{"progress_sent_percent": step, "progress_sent_at": now_datetime()}, update_modified=False
		)
		text = texts.text(
			"progress", self.language, ref=self.command.name, percent=step, note=f" · {note}" if note else ""
		)
		outbox.queue_text(
			self.contact,
			text,
			self.command.conversation,
			answers=self.command.message,
			key=f"{self.command.name}:progress:{step}",
		)
		frappe.db.commit()  # the side connection's: the row exists before Meta is called
		outbox.send_inline(self.contact.name)

	def check(self) -> None:
		# read on the side connection: the job's transaction would keep seeing the snapshot it took
		# when the command started, not the cancel_requested committed since
		with side_db.bookkeeping():
			requested = frappe.db.get_value(COMMAND, self.command.name, "cancel_requested")
		if requested:
			raise Cancelled(self.command.name)


def publish(command, percent: float, note: str = "", status: str | None = None) -> None:
	"""To the command's form (doc room) and to its user, once committed."""
	message = {"name": command.name, "progress": percent, "note": note, "status": status or command.status}
	frappe.publish_realtime(EVENT, message, doctype=COMMAND, docname=command.name, after_commit=True)
	if command.run_as:
		frappe.publish_realtime(EVENT, message, user=command.run_as, after_commit=True)
	if command.conversation:
		# the conversation's transcript in the Desk moves the command card's bar
		message = {**message, "conversation": command.conversation}
		frappe.publish_realtime(
			EVENT, message, doctype="Chatbot Conversation", docname=command.conversation, after_commit=True
		)


def current() -> Progress | None:
	return getattr(frappe.local, "whatsapp_chatbot_progress", None)


def report(percent: float, note: str = "") -> None:
	progress = current()
	if progress:
		progress(percent, note)


def check_cancelled() -> None:
	progress = current()
	if progress:
		progress.check()


@contextmanager
def tracking(progress: Progress):
	frappe.local.whatsapp_chatbot_progress = progress
	try:
		with heartbeat(progress.command.name):
			yield progress
	finally:
		frappe.local.whatsapp_chatbot_progress = None


@contextmanager
def heartbeat(command: str):
	"""A Redis key that lives while the job's process lives: the sweep fails Running commands
	whose key expired (a killed worker, a job past its timeout) and tells the user."""
	from whatsapp_chatbot.channel.locks import redis

	client = redis()
	key = alive_key(client, command)
	stop = threading.Event()

	def beat():
		while not stop.is_set():
			client.set(key, 1, ex=HEARTBEAT_TTL)
			stop.wait(HEARTBEAT_SECONDS)

	thread = threading.Thread(target=beat, name=f"heartbeat-{command}", daemon=True)
	client.set(key, 1, ex=HEARTBEAT_TTL)
	thread.start()
	try:
		yield
	finally:
		stop.set()
		thread.join(2)
		client.delete(key)


def alive_key(client, command: str):
	return client.make_key(f"whatsapp_chatbot:alive:{command}")


def is_alive(command: str) -> bool:
	from whatsapp_chatbot.channel.locks import redis

	client = redis()
	# shared: alive_key is made already (Frappe's exists() would prefix it with the site again)
	return bool(client.exists(alive_key(client, command), shared=True))


def _last_message_at(contact: str):
	return frappe.db.get_value(
		"Chatbot Message", {"contact": contact, "direction": "Outgoing"}, "creation", order_by="creation desc"
	)


def _since(moment) -> float | None:
	return time_diff_in_seconds(now_datetime(), get_datetime(moment)) if moment else None
