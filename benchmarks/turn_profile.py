"""Turn profile: where one turn's time goes in the worker, profiled with cProfile.

Runs the turn the way `bench worker` runs it: a parent process that starts as `bench worker` does
(bench's CLI imports every app's `commands`, then Frappe freezes the GC) and, for each turn,
forks a work-horse that runs RQ's perform_job on the stored message's own processing job (the
job the webhook enqueued: Frappe's execute_job → process_message). The stand-ins answer at once,
so what is measured is our overhead. Each turn: the model calls stock_balance, gets the result,
answers; the answer is sent to the Graph stand-in.

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/turn_profile.py --site test.localhost -n 5

Prints, per turn and as the median of the profiled turns: RQ (fork → work-horse, RQ's own
bookkeeping), Frappe init/connect, our bookkeeping (rows, locks, history, prompt, i18n…), model
calls (inside the openai client, its HTTP included), Graph sends, commits; wall time fork → exit
of unprofiled turns; and the top 25 functions by cumulative time of the last profiled turn.
cProfile slows Python code down (about 1.5×): read the shares, and the unprofiled wall time.
Writes a contact of its own, its messages and commands, and removes them at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _cumulative(stats: pstats.Stats, path_suffix: str, function: str) -> float:
	return sum(
		value[3]
		for (path, _line, name), value in stats.stats.items()
		if name == function and path.endswith(path_suffix)
	)


# what a turn's profile is split into: (label, file suffix, function) → cumulative seconds
PARTS = [
	("frappe.init + connect", "frappe/__init__.py", "init"),
	("", "frappe/__init__.py", "connect"),
	("frappe.destroy", "frappe/__init__.py", "destroy"),
	("process_message (job function)", "jobs/process_message.py", "process_message"),
	("  sender lock (locks.held enter)", "channel/locks.py", "__enter__"),
	("  contact, conversation, touch", "channel/contacts.py", "from_message"),
	("", "channel/contacts.py", "conversation_for"),
	("", "channel/contacts.py", "touch"),
	("  language_for", "channel/contacts.py", "language_for"),
	("  catalogue.for_user (tools)", "tools/catalogue.py", "for_user"),
	("  history.for_turn", "interpreter/history.py", "for_turn"),
	("  request_for (tool schemas)", "interpreter/loop.py", "request_for"),
	("  make_client (OpenAI client)", "interpreter/client.py", "make_client"),
	("  model calls (loop.ask, the OpenAI client)", "interpreter/loop.py", "ask"),
	("  command (dispatch)", "executors/dispatch.py", "dispatch"),
	("  record_usage", "interpreter/loop.py", "record_usage"),
	("  outbox.queue", "channel/outbox.py", "queue"),
	("  Graph HTTP (requests)", "requests/sessions.py", "request"),
	("  show_typing (mark read)", "jobs/process_message.py", "show_typing"),
	("  send_inline", "channel/outbox.py", "send_inline"),
	("  i18n.speaking / texts", "whatsapp_chatbot/i18n.py", "speaking"),
	("  db.commit", "database/database.py", "commit"),
	("  db.sql (all queries)", "database/database.py", "sql"),
]


def breakdown(stats: pstats.Stats) -> dict[str, float]:
	parts: dict[str, float] = {}
	label = ""
	for name, suffix, function in PARTS:
		label = name or label
		parts[label] = parts.get(label, 0.0) + _cumulative(stats, suffix, function)
	perform = _cumulative(stats, "rq/worker.py", "perform_job")
	execute = _cumulative(stats, "utils/background_jobs.py", "execute_job")
	parts["RQ bookkeeping in the work-horse"] = perform - execute
	parts["execute_job (Frappe's job wrapper)"] = execute
	job = parts["process_message (job function)"]
	ours = job - sum(
		parts[k]
		for k in (
			"  model calls (loop.ask, the OpenAI client)",
			"  Graph HTTP (requests)",
			"  db.commit",
			"  command (dispatch)",
		)
	)
	parts["our bookkeeping (job − model − Graph − commit − command)"] = ours
	return parts


# -- the work-horse's parent: started as `bench worker` starts ---------------------------------


def horse_parent(args) -> None:
	# bench's CLI (`bench worker` runs `python -m frappe.utils.bench_helper frappe worker …`)
	# imports every app's commands module: that is where the app preloads what a turn needs
	sys.argv = ["frappe/utils/bench_helper.py", "frappe", "worker", "--queue", args.queue]
	from frappe.utils import bench_helper

	started = time.perf_counter()
	bench_helper.get_app_groups()
	cli_seconds = time.perf_counter() - started

	import frappe
	from frappe.utils.background_jobs import _freeze_gc, get_redis_conn
	from rq import Queue, Worker

	_freeze_gc()
	with frappe.init_site():
		connection = get_redis_conn()
	queue = Queue(args.queue, connection=connection)
	worker = Worker([queue], connection=connection)
	worker.register_birth()
	results = []
	statements: list = []
	try:
		for index in range(args.count):
			if args.queries and index == args.count - 1:
				_record_statements(statements)
			job, job_queue = Queue.dequeue_any([queue], timeout=10, connection=connection)
			profiled = index >= args.count - args.profiled
			out = os.path.join(args.out, f"turn{index}.prof")
			started = time.perf_counter()
			if args.no_fork:  # as the no-fork pool's worker runs it: in this very process
				report = perform(worker, job, job_queue, out if profiled else None, started)
			else:
				report = forked(worker, job, job_queue, out if profiled else None, started)
			report.update(wall=time.perf_counter() - started, profile=out if profiled else None)
			results.append(report)
	finally:
		worker.register_death()
	with open(os.path.join(args.out, "results.json"), "w") as file:
		json.dump({"cli_seconds": cli_seconds, "turns": results, "queries": statements}, file)


def _record_statements(into: list) -> None:
	"""Every SQL statement and Redis cache read of what follows, timed, with the nearest caller in
	the app (or else in Frappe): where a turn's round trips come from. (Wrapping Frappe's own
	Database.sql and RedisWrapper's reads: this process only measures.)"""
	from frappe.database.database import Database
	from frappe.utils.redis_wrapper import RedisWrapper

	def timed(plain, describe):
		def call(self, first, *args, **kwargs):
			started = time.perf_counter()
			try:
				return plain(self, first, *args, **kwargs)
			finally:
				into.append([time.perf_counter() - started, describe(first, args), _caller()])

		return call

	Database.sql = timed(Database.sql, lambda query, _args: " ".join(str(query).split())[:100])
	for method in ("hget", "get_value"):
		setattr(
			RedisWrapper,
			method,
			timed(
				getattr(RedisWrapper, method),
				lambda key, args, m=method: f"redis {m} {key} {' '.join(map(str, args))[:60]}",
			),
		)


def _caller() -> str:
	import traceback

	frames = traceback.extract_stack(limit=40)[:-2]
	ours = [fr for fr in frames if "whatsapp_chatbot" in fr.filename and "benchmarks" not in fr.filename]
	caller = (ours or frames)[-1]
	folder, file = caller.filename.rsplit("/", 2)[-2:]
	return f"{folder}/{file}:{caller.lineno} {caller.name}"


def perform(worker, job, job_queue, out: str | None, started: float) -> dict:
	entered = time.perf_counter()
	profile = cProfile.Profile() if out else None
	if profile:
		profile.enable()
	before = set(sys.modules)
	worker.perform_job(job, job_queue)
	imported = sorted(set(sys.modules) - before)
	if profile:
		profile.disable()
		profile.dump_stats(out)
	return {"fork_to_horse": entered - started, "imported": imported}


def forked(worker, job, job_queue, out: str | None, started: float) -> dict:
	"""The work-horse, as rq's fork_work_horse / main_work_horse make it."""
	import random

	read_end, write_end = os.pipe()
	pid = os.fork()
	if pid == 0:
		os.close(read_end)
		os.setsid()
		random.seed()
		worker._is_horse = True
		report = perform(worker, job, job_queue, out, started)
		with os.fdopen(write_end, "w") as pipe:
			pipe.write(json.dumps(report))
		os._exit(0)
	os.close(write_end)
	with os.fdopen(read_end) as pipe:
		report = json.loads(pipe.read() or "{}")
	os.waitpid(pid, 0)
	return report


# -- the run: data, stand-ins, messages, then the parent above in a process of its own ----------


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="test.localhost")
	parser.add_argument("-n", "--turns", type=int, default=15, help="turns in all (the first warm up)")
	parser.add_argument("--profiled", type=int, default=5, help="the last N turns are profiled")
	parser.add_argument("--no-fork", action="store_true", help="run each job in the worker (worker_pool.py)")
	parser.add_argument("--queries", action="store_true", help="list the last turn's SQL statements")
	parser.add_argument("--horse-parent", action="store_true", help=argparse.SUPPRESS)
	parser.add_argument("--queue", help=argparse.SUPPRESS)
	parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
	parser.add_argument("--out", help=argparse.SUPPRESS)
	args = parser.parse_args()
	if args.horse_parent:
		return horse_parent(args)

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	sys.path.insert(0, HERE)
	from rq import Queue
	from rq.job import Job
	from turn_setup import clean, make_contacts, stand_ins

	from whatsapp_chatbot.tests import factories as f
	from whatsapp_chatbot.tests.erpnext_data import make_erpnext_data
	from whatsapp_chatbot.tests.processes import wait_until

	facts = make_erpnext_data()
	graph, model = stand_ins()
	(number,) = make_contacts(1, facts.company)
	from frappe.utils.background_jobs import get_redis_conn

	connection = get_redis_conn()
	private = Queue(f"whatsapp_chatbot-profile-{os.getpid()}", connection=connection)
	out = tempfile.mkdtemp(prefix="turn_profile-")
	os.chmod(out, 0o777)
	try:
		parent = subprocess.Popen(
			[
				sys.executable,
				os.path.abspath(__file__),
				"--horse-parent",
				"--queue",
				private.name,
				"--count",
				str(args.turns),
				"--profiled",
				str(args.profiled),
				"--out",
				out,
				*(["--no-fork"] if args.no_fork else []),
				*(["--queries"] if args.queries else []),
			],
			cwd=os.getcwd(),
		)
		# each turn's message stored by the real webhook once the previous one is answered (a job
		# answers every pending message of its sender); its processing job, as the webhook made it,
		# is moved to a queue of this run, so no other worker of the bench takes it
		for index in range(args.turns):
			wamid = f"wamid.PROFILE{os.getpid()}x{index}"
			f.call_webhook(body=f.text_webhook(f"stock TORN-M8 #p{index}", wa_id=number, wamid=wamid))
			frappe.db.commit()
			job = Job.fetch(f"{frappe.local.site}::whatsapp_chatbot:process:{wamid}:0", connection=connection)
			Queue(job.origin, connection=connection).remove(job)
			private.enqueue_job(job)
			# until its job has ended, not just its message: a job still draining would answer the
			# next message itself, and the next job would find nothing to do
			wait_until(lambda j=job: j.get_status(refresh=True) in ("finished", "failed"), timeout=60)
		if parent.wait(120):
			raise SystemExit(f"the worker parent failed ({parent.returncode})")
		with open(os.path.join(out, "results.json")) as file:
			results = json.load(file)
		frappe.db.rollback()
		answered = frappe.db.count(
			"Chatbot Message", {"wa_id": number, "direction": "Incoming", "status": "Answered"}
		)
		report(results, answered, len(graph.sent_messages()), len(model.requests), args)
	finally:
		graph.stop()
		model.stop()
		private.delete(delete_jobs=True)
		clean([number])


def report(results: dict, answered: int, sent: int, model_calls: int, args) -> None:
	turns = results["turns"]
	print(f"\nturn_profile: {args.turns} turns (last {args.profiled} profiled), stand-ins answering at once")
	print(f"worker parent start (bench CLI with every app's commands): {results['cli_seconds']:.3f} s")
	print(f"answered {answered}/{args.turns}, replies at Graph {sent}, model calls {model_calls}")
	plain = [t["wall"] for t in turns if not t["profile"]][max(0, min(3, args.turns - args.profiled - 1)) :]
	if plain:
		print(
			f"unprofiled {'job, in the worker (no fork)' if args.no_fork else 'work-horse, fork → exit'}: median {statistics.median(plain) * 1000:.1f} ms "
			f"(min {min(plain) * 1000:.1f}, max {max(plain) * 1000:.1f}, {len(plain)} turns)"
		)
	if args.queries:
		statements = results["queries"]
		reads = sum(1 for _seconds, query, _where in statements if query.startswith("redis "))
		print(
			f"\nthe last turn's {len(statements) - reads} SQL statements and {reads} Redis cache reads "
			f"(Frappe's, local hits included; {sum(s[0] for s in statements) * 1000:.1f} ms):"
		)
		for seconds, query, where in statements:
			print(f"  {seconds * 1000:6.2f}  {where[:60]:60s} {query}")
	imported = turns[-1].get("imported") or []
	print(f"modules imported in the last work-horse (not preloaded by its parent): {len(imported)}")
	if imported:
		print("  " + " ".join(imported)[:3000])
	profiled = [t for t in turns if t["profile"]]
	if not profiled:
		return
	parts = [breakdown(pstats.Stats(t["profile"])) for t in profiled]
	print(f"\nprofiled turns (median of {len(parts)}, ms; cProfile inflates Python time)")
	print(f"  {'fork → work-horse':58s}{statistics.median(t['fork_to_horse'] for t in profiled) * 1000:8.1f}")
	print(
		f"  {'wall, fork → exit (profiled)':58s}{statistics.median(t['wall'] for t in profiled) * 1000:8.1f}"
	)
	for label in parts[0]:
		print(f"  {label:58s}{statistics.median(p[label] for p in parts) * 1000:8.1f}")
	buffer = io.StringIO()
	stats = pstats.Stats(profiled[-1]["profile"], stream=buffer)
	stats.sort_stats("cumulative").print_stats(25)
	print("\ntop 25 by cumulative time (last profiled turn):")
	print("\n".join(line for line in buffer.getvalue().splitlines() if line.strip())[-6000:])


if __name__ == "__main__":
	main()
