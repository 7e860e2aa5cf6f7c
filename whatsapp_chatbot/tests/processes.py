"""Real bench processes for end-to-end tests and benchmarks: the site served by gunicorn on
loopback, and RQ workers, started from the bench the tests run in and stopped (or killed) by them,
and by tests/children.py on any other way out (exit, signals, a class whose set-up failed)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import frappe
import psutil
import requests

from whatsapp_chatbot.tests import children


def free_port() -> int:
	with socket.socket() as sock:
		sock.bind(("127.0.0.1", 0))
		return sock.getsockname()[1]


def sites_path() -> str:
	return os.path.abspath(frappe.local.sites_path)


def bench_command(site: str, *args: str, input: str | None = None, timeout: float = 120):
	"""`bench --site SITE ARGS…` in a process of its own (as bench runs it), output captured."""
	return subprocess.run(
		[sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "--site", site, *args],
		input=input,
		capture_output=True,
		text=True,
		cwd=sites_path(),
		timeout=timeout,
	)


class _Process:
	def __init__(self, args: list[str], log_name: str, cwd: str | None = None):
		self.args = args
		self.cwd = cwd or sites_path()  # a bench's sites folder: where bench runs its processes
		# normalised by name, not by the kernel: a worker host's sites folder may be a symlink to this
		# bench's, and "sites/.." would then be this bench, not the worker host's own logs folder
		self.log_path = os.path.normpath(
			os.path.join(self.cwd, "..", "logs", f"whatsapp_chatbot-test-{log_name}.log")
		)
		self.process: subprocess.Popen | None = None
		self.env: dict[str, str] = {}  # added to the environment of the process

	def start(self):
		children.prepare()  # leftovers of dead runs stopped; this one's children marked as ours
		env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
		# a session of its own, so stop() reaches every process it starts
		with open(self.log_path, "ab") as log:
			self.process = subprocess.Popen(
				self.args, cwd=self.cwd, stdout=log, stderr=log, env=env, start_new_session=True
			)
		children.register(self)
		return self

	def __repr__(self) -> str:
		pid = self.process.pid if self.process else None
		return f"<{type(self).__name__} {os.path.basename(self.log_path)} pid {pid}>"

	def kill(self) -> None:
		"""SIGKILL the process and every child: what an OOM kill or a pulled plug does.

		RQ puts its work-horse in a session of its own, so killing the group is not enough."""
		if self.process and self.process.poll() is None:
			try:
				offspring = psutil.Process(self.process.pid).children(recursive=True)
			except psutil.Error:  # it has just ended
				offspring = []
			victims = [self.process.pid] + [c.pid for c in offspring]
			for pid in victims:
				try:
					os.kill(pid, signal.SIGKILL)
				except ProcessLookupError:
					pass
			self.process.wait(10)
		children.unregister(self)

	def stop(self) -> None:
		if self.process and self.process.poll() is None:
			try:
				os.killpg(self.process.pid, signal.SIGTERM)
				self.process.wait(15)
			except subprocess.TimeoutExpired:
				self.kill()
			except ProcessLookupError:
				pass
		children.unregister(self)

	def __enter__(self):
		return self.start()

	def __exit__(self, *exc):
		self.stop()


class Worker(_Process):
	"""`bench worker` on the given queues, or `bench worker-pool --num-workers N` when `pool` is N
	(`bench whatsapp-chatbot worker-pool`, whose workers do not fork per job, with `no_fork`).

	`bench` is another bench folder to run it from (its own env and apps: a second "worker host"
	sharing this one's sites folder, Redis and database); by default the bench the tests run in."""

	def __init__(
		self,
		queues: str = "short,default,long",
		name: str = "worker",
		pool: int = 0,
		bench: str | None = None,
		no_fork: bool = False,
	):
		python = os.path.join(bench, "env", "bin", "python") if bench else sys.executable
		command = ["worker-pool", "--num-workers", str(pool)] if pool else ["worker"]
		if no_fork:
			if not pool:
				raise ValueError("the no-fork workers come as a pool: give pool=N")
			command = ["whatsapp-chatbot", *command]
		super().__init__(
			[python, "-m", "frappe.utils.bench_helper", "frappe", *command, "--queue", queues],
			name,
			cwd=os.path.join(os.path.abspath(bench), "sites") if bench else None,
		)


class WebServer(_Process):
	"""The site behind gunicorn on 127.0.0.1, as production serves it."""

	def __init__(self, workers: int = 2, port: int | None = None, name: str = "web"):
		self.port = port or free_port()
		self.site = frappe.local.site
		super().__init__(
			[
				sys.executable,
				"-m",
				"gunicorn",
				"-b",
				f"127.0.0.1:{self.port}",
				"-w",
				str(workers),
				"-t",
				"120",
				"--preload",
				"frappe.app:application",
			],
			name,
		)

	@property
	def base_url(self) -> str:
		return f"http://127.0.0.1:{self.port}"

	def headers(self, extra: dict | None = None) -> dict:
		return {"Host": self.site, **(extra or {})}

	def post_webhook(self, raw: bytes, signed_headers: dict) -> requests.Response:
		"""Deliver a webhook body (signed by the caller, factories.signed) as Meta does."""
		return requests.post(
			self.base_url + "/api/method/whatsapp_chatbot.api.webhook",
			data=raw,
			headers=self.headers(signed_headers),
			timeout=30,
		)

	def start(self):
		super().start()
		deadline = time.monotonic() + 60
		while time.monotonic() < deadline:
			try:
				if requests.get(f"{self.base_url}/api/method/ping", headers=self.headers(), timeout=2).ok:
					return self
			except requests.RequestException:
				pass
			if self.process.poll() is not None:
				break
			time.sleep(0.2)
		self.stop()
		raise RuntimeError(f"gunicorn did not start; see {self.log_path}")


class DevServer(WebServer):
	"""`bench serve` for one site: also serves /assets, which PDF printing fetches from the site."""

	def __init__(self, port: int | None = None, name: str = "devserver"):
		self.port = port or free_port()
		self.site = frappe.local.site
		_Process.__init__(
			self,
			[
				sys.executable,
				"-m",
				"frappe.utils.bench_helper",
				"frappe",
				"--site",
				self.site,
				"serve",
				"--port",
				str(self.port),
				"--noreload",
			],
			name,
		)


class SocketIOServer(_Process):
	"""Frappe's realtime server (node apps/frappe/socketio.js) on `socketio_port`; it serves every
	site of the bench. Started unless one runs already: the bench's own, or a live test run's, is
	used and left alone; one left by a test run that died is stopped first (children.prepare); a
	port held by anything else is an error that names the process."""

	def __init__(self):
		script = os.path.join(sites_path(), "..", "apps", "frappe", "socketio.js")
		super().__init__(["node", os.path.abspath(script)], "socketio")
		self.port = int(frappe.get_conf().get("socketio_port") or 9000)
		self.started = False

	def start(self):
		children.prepare()
		if listening(self.port):
			holder = children.listener(self.port)
			if holder is not None and "socketio" not in " ".join(_cmdline(holder)):
				raise RuntimeError(
					f"Port {self.port} (socketio_port) is held by process {holder.pid} "
					f"({' '.join(_cmdline(holder))[:200]}), not Frappe's Socket.IO server: stop it"
				)
			return self  # the bench's, or another live run's: used, never stopped by us
		super().start()
		self.started = True
		deadline = time.monotonic() + 30
		while not listening(self.port):
			if self.process.poll() is not None or time.monotonic() > deadline:
				self.stop()
				raise RuntimeError(f"Frappe's Socket.IO server did not start; see {self.log_path}")
			time.sleep(0.2)
		return self

	def stop(self) -> None:
		if not self.started:
			return
		if self._other_clients():
			# another test run's pages are connected: stopping it would break their realtime
			print(f"leaving Frappe's Socket.IO server (pid {self.process.pid}) running for other clients")
			children.unregister(self)
			return
		super().stop()
		self.started = False

	def _other_clients(self) -> bool:
		if not self.process or self.process.poll() is not None:
			return False
		try:
			process = psutil.Process(self.process.pid)
			listing = getattr(process, "net_connections", None) or process.connections
			connections = listing(kind="tcp")
		except psutil.Error:
			return False
		return any(c.status == psutil.CONN_ESTABLISHED and c.laddr.port == self.port for c in connections)


def _cmdline(process) -> list[str]:
	try:
		return process.cmdline()
	except psutil.Error:
		return []


def listening(port: int) -> bool:
	with socket.socket() as sock:
		sock.settimeout(0.5)
		return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.2):
	"""Poll the database (fresh snapshot each time) until predicate() is truthy."""
	deadline = time.monotonic() + timeout
	while True:
		frappe.db.rollback()  # see what other processes committed
		value = predicate()
		if value:
			return value
		if time.monotonic() > deadline:
			raise TimeoutError("condition not met in time")
		time.sleep(interval)
