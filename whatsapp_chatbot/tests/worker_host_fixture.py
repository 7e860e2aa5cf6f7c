"""The harness of the scale-out tests (test_worker_host.py): the second bench folder (a "worker
host"), this bench's web server, workers started on host A or B, and which host's process called the
model and Graph stand-ins (Callers) or finished each RQ job (WorkerHostTestCase.hosts_of_jobs)."""

from __future__ import annotations

import os
import subprocess
import threading
import unittest

import frappe
import psutil
from frappe.utils.background_jobs import generate_qname, get_queue, get_redis_conn
from rq import Worker as RQWorker
from rq.job import Job

from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import from_request, last_user_text, say
from whatsapp_chatbot.tests.processes import WebServer, Worker, sites_path, wait_until

HOLD = 1.0  # seconds each model call takes: long enough that both hosts' workers get turns


def worker_host() -> str:
	return os.path.abspath(os.environ.get("WHATSAPP_CHATBOT_WORKER_HOST") or "/home/frappe/worker-host")


def worker_host_missing() -> str | None:
	"""Why there is no usable worker host here, or None."""
	host = worker_host()
	if not os.access(os.path.join(host, "env", "bin", "python"), os.X_OK):
		return f"no worker host at {host} (env/bin/python missing; set $WHATSAPP_CHATBOT_WORKER_HOST)"
	if os.path.samefile(host, os.path.dirname(sites_path())):
		return f"{host} is this bench itself, not a second bench folder"
	sites = os.path.join(host, "sites")
	if not os.path.isdir(sites) or not os.path.samefile(sites, sites_path()):
		return f"{sites} is not this bench's sites folder ({sites_path()})"
	return None


class Shared:
	web: WebServer | None = None


# printed before the reason when these tests are skipped; .ci/run counts it for its summary
SKIP_MARKER = "WHATSAPP_CHATBOT_WORKER_HOST_TESTS_SKIPPED:"


def start_shared() -> None:
	"""The worker host checked (skipped, saying why, without one) and host A's web server started."""
	reason = worker_host_missing()
	if reason:
		print(SKIP_MARKER, reason)
		raise unittest.SkipTest(reason)
	# B's env runs B's code (its frappe and erpnext, never this bench's), in the environment its
	# workers get, and names its RQ queues as this bench does: Frappe prefixes them with the bench
	# id, which is the bench's path unless common_site_config sets `bench_id`
	found = subprocess.run(
		[
			os.path.join(worker_host(), "env", "bin", "python"),
			"-c",
			"import frappe, erpnext; print(frappe.__file__); print(erpnext.__file__); "
			f"frappe.init(site={frappe.local.site!r}, sites_path='.'); "
			"from frappe.utils.background_jobs import generate_qname; print(generate_qname('short'))",
		],
		cwd=os.path.join(worker_host(), "sites"),
		capture_output=True,
		text=True,
		timeout=60,
	)
	assert found.returncode == 0, found.stderr
	*modules, queue = found.stdout.split()
	apps = os.path.join(worker_host(), "apps") + os.sep
	assert all(m.startswith(apps) for m in modules), f"{worker_host()} loads code from elsewhere: {modules}"
	assert queue == generate_qname("short"), (
		f"the worker host's workers would listen on {queue}, not {generate_qname('short')}: set the same "
		"`bench_id` for both benches in common_site_config.json"
	)
	Shared.web = WebServer(workers=2, name="worker-host-web").start()


def stop_shared() -> None:
	if Shared.web:
		Shared.web.stop()


class Callers:
	"""Which host's process opened each connection to a fake server: the client's port, looked up
	among the machine's TCP sockets while its request is being served, then up the process tree to
	a worker this test started."""

	def __init__(self, server, hosts: dict[int, str]):
		self.hosts = hosts  # worker pid -> "A" or "B"
		self.seen: list[tuple[str, str]] = []  # (path, host)
		self.local = threading.local()
		port = server.server.server_address[1]
		callers = self

		class Traced(server.server.RequestHandlerClass):
			def parse_request(self):
				parsed = super().parse_request()
				callers.local.host = callers.host_of(self.client_address[1], port)
				callers.seen.append((self.path, callers.local.host))
				return parsed

		self.server, self.original = server.server, server.server.RequestHandlerClass
		server.server.RequestHandlerClass = Traced

	def restore(self) -> None:
		self.server.RequestHandlerClass = self.original

	def host_of(self, client_port: int, server_port: int) -> str:
		for connection in psutil.net_connections(kind="tcp4"):
			if (
				connection.laddr
				and connection.laddr.port == client_port
				and connection.raddr
				and connection.raddr.port == server_port
			):
				return self._host_of_pid(connection.pid)
		return "unknown"

	def _host_of_pid(self, pid: int | None) -> str:
		try:
			process = psutil.Process(pid)
			for each in [process, *process.parents()]:  # the job's work-horse is forked by the worker
				if each.pid in self.hosts:
					return self.hosts[each.pid]
			return f"other ({' '.join(process.cmdline())[:80]})"
		except (psutil.Error, TypeError, ValueError):
			return "unknown"


class WorkerHostTestCase(f.InterpreterTestCase):
	def setUp(self):
		super().setUp()
		self.hosts: dict[int, str] = {}  # worker pid -> host, for Callers
		self.worker_names: dict[str, str] = {}  # RQ worker name -> host
		self.model_calls = Callers(self.openai, self.hosts)
		self.graph_calls = Callers(self.graph, self.hosts)
		self.turns: list[tuple[str, str]] = []  # (what the person said, host of the model call)
		self.openai.default = from_request(self.echo)

	def tearDown(self):
		self.openai.default = say("(no script left)")
		self.model_calls.restore()
		self.graph_calls.restore()
		super().tearDown()

	def echo(self, request: dict):
		"""The model's answer: what it was told, after HOLD seconds, noting which host asked."""
		text = last_user_text(request)
		self.turns.append((text, getattr(self.model_calls.local, "host", "unknown")))
		return say(f"eco: {text}", delay=HOLD)

	def worker(self, host: str, queues: str) -> Worker:
		"""A worker on host A (this bench) or B (the worker host), started and registered with RQ."""
		process = Worker(queues, name=f"worker-host-{host}", bench=worker_host() if host == "B" else None)
		process.start()
		self.addCleanup(process.stop)
		registered = wait_until(
			lambda: [w for w in RQWorker.all(connection=get_redis_conn()) if w.pid == process.process.pid],
			timeout=60,
		)
		self.hosts[process.process.pid] = host
		self.worker_names[registered[0].name] = host
		return process

	def hosts_of_jobs(self, queue: str, marker: str) -> dict[str, str]:
		"""Job id -> host of the worker that finished it, for this site's jobs whose id holds `marker`,
		once none of them is queued or running (a reply reaches Meta before its job is over)."""
		rq_queue, site = get_queue(queue), f"{frappe.local.site}::"

		def ours(ids) -> list[str]:
			return [i for i in ids if i.startswith(site) and marker in i]

		wait_until(
			lambda: (
				ours(rq_queue.finished_job_registry.get_job_ids())
				and not ours(rq_queue.get_job_ids() + rq_queue.started_job_registry.get_job_ids())
			),
			timeout=60,
		)
		done = {}
		ids = ours(rq_queue.finished_job_registry.get_job_ids())
		for job in Job.fetch_many(ids, connection=get_redis_conn()):
			if job is not None:
				done[job.id] = self.worker_names.get(job.worker_name, f"other worker {job.worker_name}")
		return done

	def deliver(self, body: dict) -> None:
		raw, headers = f.signed(body)
		response = Shared.web.post_webhook(raw, headers)
		self.assertEqual((response.status_code, response.text), (200, "OK"))

	def replies_to(self, wa_id: str) -> list[str]:
		return [
			m["text"]["body"]
			for m in self.graph.sent_messages()
			if m.get("to") == wa_id and m.get("type") == "text"
		]
