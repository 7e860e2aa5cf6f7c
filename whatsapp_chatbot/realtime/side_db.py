"""A second connection to the site's database, for what a long command reports while it runs.

A command's own writes are one transaction on the job's connection: rolled back to a savepoint when
it fails (executors/local.execute) and entirely when the user cancels it, so nothing half-done
stays. Its progress must still reach the Desk, the sweep and the phone while it runs, which means
committing: the progress fields of its Chatbot Command, the WhatsApp progress message queued and
sent through the outbox, the realtime events. Committing those on the job's connection would commit
the command's work too (and end its savepoint), so they go through this connection instead:
`bookkeeping()` points `frappe.db` at it for the block, commits it at the end (running its
after-commit callbacks: realtime events, enqueued send jobs) and points `frappe.db` back.

Locks: the block commits before it returns, so it never holds a row lock while the command runs.
The command's transaction must not hold one the block needs either: the jobs commit the Chatbot
Command's Running state before the handler starts, and its bookkeeping fields are written here only
(remote_long, started). The handler's own rows (ToDos, invoices) are none of the block's business.
Should they meet anyway, the block waits LOCK_WAIT_SECONDS at most and fails on its own (the caller
skips that report), instead of waiting on a transaction that only its own process can end.

One connection per process, site and thread, opened on first use: a forked child opens its own.
A worker that runs its jobs in its own process (worker_pool.py) keeps its job thread's connection
for the next job; those of threads that have ended are closed when a job ends (after_job).
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

import frappe

LOCK_WAIT_SECONDS = 10
_connections: dict[tuple[int, str, int], object] = {}


def _forget() -> None:
	# a forked child must never talk on its parent's socket (the object is dropped, not closed:
	# closing would send COM_QUIT on the shared connection)
	_connections.clear()


os.register_at_fork(after_in_child=_forget)


def after_job(**_kwargs) -> None:
	"""Close the connections of threads that have ended (a thread's own ident may be reused by a
	later thread, which then finds a live connection: harmless, it is this process's)."""
	alive = {thread.ident for thread in threading.enumerate()}
	for key in [key for key in _connections if key[0] == os.getpid() and key[2] not in alive]:
		db = _connections.pop(key)
		try:
			db.close()
		except Exception:  # already gone: nothing to close
			pass


def connection():
	"""This process's (and thread's) side connection to the current site, opened if needed."""
	key = (os.getpid(), frappe.local.site, threading.get_ident())
	db = _connections.get(key)
	if db is not None and not _alive(db):
		db.close()
		db = None
	if db is None:
		db = open_connection()
		db.sql("set session innodb_lock_wait_timeout = %s", LOCK_WAIT_SECONDS)
		_connections[key] = db
	return db


def open_connection():
	"""A new connection to the current site with its own credentials, as frappe.connect() opens
	the main one (the caller closes it)."""
	from frappe.database import get_db

	conf = frappe.local.conf
	db = get_db(
		socket=conf.db_socket,
		host=conf.db_host,
		port=conf.db_port,
		user=conf.db_name,
		password=conf.db_password,
		cur_db_name=conf.db_name,
	)
	db.connect()
	return db


def _alive(db) -> bool:
	try:
		db._conn.ping(reconnect=False)
		return True
	except Exception:
		return False


def active() -> bool:
	"""Inside a bookkeeping() block."""
	return bool(getattr(frappe.local, "whatsapp_chatbot_side_db", False))


@contextmanager
def bookkeeping():
	"""Run the block on the side connection and commit it there; the job's transaction stays open
	and untouched. Nested blocks join the outer one."""
	if active():
		yield
		return
	main, side = frappe.local.db, connection()
	# realtime events queued "after commit" belong to the transaction that queues them
	pending = _pop_realtime_log()
	frappe.local.db = side
	frappe.local.whatsapp_chatbot_side_db = True
	try:
		yield
		side.commit()
	except BaseException:
		side.rollback()
		raise
	finally:
		frappe.local.whatsapp_chatbot_side_db = False
		frappe.local.db = main
		_pop_realtime_log()
		if pending is not None:
			frappe.local._realtime_log = pending


def _pop_realtime_log():
	log = getattr(frappe.local, "_realtime_log", None)
	if log is not None:
		del frappe.local._realtime_log
	return log
