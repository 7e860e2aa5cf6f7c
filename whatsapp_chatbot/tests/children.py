"""Every process a test or benchmark starts (gunicorn, RQ workers, Frappe's Socket.IO server, sshd)
is stopped on every way out of the process that started it, and one left over by a process that
died anyway is found and stopped by the next run.

- Each is registered here when it starts and unregistered when it stops. At exit (normal end,
  an exception, sys.exit) and on SIGTERM, SIGHUP and SIGINT, whatever is still registered is
  stopped: the children run in sessions of their own (so a stop reaches their workers), which also
  means the terminal's Ctrl-C and a kill of the test run never reach them by themselves.
- Test classes stop what they started when their set-up fails half-way too (`stop_since` as a class
  cleanup: factories.ChatbotTestCase does it for every class built on it).
- Each child carries OWNER_ENV = "<pid>:<start time>" of the process that started it (or, when
  it writes its process title over its environment as sshd does, OWNER_FILE beside a path its
  command line names). A SIGKILL
  leaves no chance to clean up, so `reap_stale` (run once per starting process, and by the test
  run's before_tests) stops every process whose owner is gone. A child of a live run is left alone:
  two runs at once each keep theirs.

No frappe import (sshd.py is used by the pure tests); psutil is imported where needed.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import signal
import threading

OWNER_ENV = "WHATSAPP_CHATBOT_TEST_OWNER"
OWNER_FILE = ".whatsapp_chatbot_test_owner"
SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)

_started: list = []  # (sequence number, child): objects with stop() and kill(), in start order
_sequence = itertools.count()
_lock = threading.RLock()
_installed_in: int | None = None  # the pid that installed the handlers (a fork must not inherit them)
_reaped_in: int | None = None


def owner_marker(pid: int | None = None) -> str:
	import psutil

	process = psutil.Process(pid or os.getpid())
	return f"{process.pid}:{process.create_time():.2f}"


def environment() -> dict[str, str]:
	"""Added to a child's environment: who started it."""
	return {OWNER_ENV: owner_marker()}


def prepare() -> None:
	"""Before this process starts anything: stop what dead runs left, install the handlers, and
	mark everything started from now on (subprocesses of libraries too, such as Playwright's
	driver and Chromium) as this process's."""
	global _reaped_in
	if _reaped_in != os.getpid():
		_reaped_in = os.getpid()
		reap_stale()
		os.environ[OWNER_ENV] = owner_marker()  # /proc/self/environ keeps the value we started with
	_install()


def register(child) -> None:
	prepare()
	with _lock:
		if all(c is not child for _, c in _started):
			_started.append((next(_sequence), child))


def unregister(child) -> None:
	with _lock:
		_started[:] = [(n, c) for n, c in _started if c is not child]


def mark() -> int:
	"""A point in the start order, for stop_since."""
	with _lock:
		return next(_sequence)  # children registered from now on get larger numbers


def stop_since(position: int) -> None:
	"""Stop what was started since mark() returned `position` and still runs, newest first."""
	with _lock:
		newer = [c for n, c in _started if n >= position]
	for child in reversed(newer):
		_stop(child)


def stop_all(quick: bool = False) -> None:
	with _lock:
		running = [c for _, c in _started]
	for child in reversed(running):
		_stop(child, quick)


def _stop(child, quick: bool = False) -> None:
	try:
		child.kill() if quick else child.stop()
		dispose = getattr(child, "dispose", None)  # what it keeps on disk (sshd's keys and config)
		if dispose:
			dispose()
	except Exception as error:  # one that cannot be stopped must not keep the others running
		print(f"could not stop {child!r}: {error}")
	finally:
		unregister(child)


def _install() -> None:
	"""atexit and signal handlers, once per process, from the main thread only (Python's rule)."""
	global _installed_in
	if _installed_in == os.getpid() or threading.current_thread() is not threading.main_thread():
		return
	_installed_in = os.getpid()
	atexit.register(_at_exit)
	for signum in SIGNALS:
		previous = signal.getsignal(signum)
		if previous != signal.SIG_IGN:  # a run started to ignore it (nohup, `cmd &` in a script) still does
			signal.signal(signum, _handler(signum, previous))


def _at_exit() -> None:
	if _installed_in == os.getpid():
		stop_all()


def _handler(signum: int, previous):
	def handle(number, frame):
		if _installed_in == os.getpid():
			stop_all(quick=True)  # the run is being stopped: no graceful shutdowns to wait for
		if callable(previous):
			return previous(number, frame)  # SIGINT: Python's own, KeyboardInterrupt
		signal.signal(number, signal.SIG_DFL)  # die of the signal, as without us
		os.kill(os.getpid(), number)

	return handle


# ---------------------------------------------------------------------------------------------
# leftovers of runs that died without cleaning up


def _owner_alive(marker: str) -> bool:
	import psutil

	try:
		pid, started = marker.split(":")
		return abs(psutil.Process(int(pid)).create_time() - float(started)) < 1
	except (ValueError, psutil.Error):
		return False


def stale_processes() -> list:
	"""Processes of this user started by a test or benchmark process that no longer exists."""
	import psutil

	found = []
	for process in psutil.process_iter(["pid", "uids"]):
		try:
			if process.pid == os.getpid() or process.uids().real != os.getuid():
				continue
			marker = process.environ().get(OWNER_ENV) or _marker_in_files(process.cmdline())
		except (psutil.Error, OSError):
			continue
		if marker and not _owner_alive(marker):
			found.append(process)
	return found


def _owner_file_dirs(process) -> list[str]:
	try:
		words = " ".join(process.cmdline()).split()
	except Exception:
		return []
	return [
		os.path.dirname(w)
		for w in words
		if os.path.isabs(w) and os.path.exists(os.path.join(os.path.dirname(w), OWNER_FILE))
	]


def write_owner_file(directory: str) -> None:
	"""For a child that rewrites its process title over its environment (sshd does): the marker in
	a file of a directory its command line names."""
	with open(os.path.join(directory, OWNER_FILE), "w") as f:
		f.write(owner_marker())


def _marker_in_files(cmdline: list[str]) -> str | None:
	for word in " ".join(cmdline).split():
		if os.path.isabs(word):
			path = os.path.join(os.path.dirname(word), OWNER_FILE)
			try:
				with open(path) as f:
					return f.read().strip()
			except OSError:
				continue
	return None


def reap_stale(say=print) -> list[int]:
	"""Stop the leftovers of dead runs (and their children); the pids stopped."""
	import psutil

	victims, directories = {}, set()
	for process in stale_processes():
		victims[process.pid] = process
		directories.update(_owner_file_dirs(process))
		try:
			for child in process.children(recursive=True):
				victims[child.pid] = child
		except psutil.Error:
			pass
	for process in victims.values():
		try:
			say(f"stopping {process.pid} ({' '.join(process.cmdline())[:120]}), left by a test run that died")
			process.kill()
		except psutil.Error:
			pass
	psutil.wait_procs(list(victims.values()), timeout=10)
	for directory in directories:  # a dead sshd's keys and config
		shutil.rmtree(directory, ignore_errors=True)
	return sorted(victims)


def listener(port: int):
	"""The process listening on 127.0.0.1:port (a psutil.Process), None if nobody or not visible."""
	import psutil

	try:
		connections = psutil.net_connections(kind="tcp")
	except (psutil.Error, OSError):
		return None
	for connection in connections:
		if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port and connection.pid:
			try:
				return psutil.Process(connection.pid)
			except psutil.Error:
				return None
	return None


def started_by_a_test(process) -> str | None:
	"""The owner marker of a process started by a test or benchmark, None if it was not."""
	try:
		return process.environ().get(OWNER_ENV)
	except Exception:
		return None
