"""An evaluation run: every case it takes, `repeat` times, through the model (evaluation/exchange.py),
judged (evaluation/scoring.py), one Chatbot Evaluation Result per case and repeat, then the totals
and the comparison with the previous run of the same cases.

From the Desk the run is a job on the `long` queue (`start`), committed case by case so the form's
progress bar and report move while it runs; from the terminal and benchmarks/evaluation.py it runs
inline (`execute`). The endpoint is the Settings' (base URL, key, model) unless a run names another
model, or a caller passes another endpoint. The API key is never stored: the run keeps the base URL
and each result the request bodies, which never hold it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import frappe
import openai
from frappe.utils import now_datetime

from whatsapp_chatbot.channel.settings import get_settings
from whatsapp_chatbot.evaluation import cases as case_store
from whatsapp_chatbot.evaluation import exchange, gate, scoring, selection
from whatsapp_chatbot.evaluation.exchange import Exchange
from whatsapp_chatbot.evaluation.scoring import Capture
from whatsapp_chatbot.interpreter import client as openai_client
from whatsapp_chatbot.interpreter.usage import price_for

RUN, RESULT = "Chatbot Evaluation Run", "Chatbot Evaluation Result"
EVENT = "whatsapp_chatbot_evaluation_progress"
JOB_PREFIX = "whatsapp_chatbot:evaluation:"


@dataclass
class Endpoint:
	"""Another OpenAI-compatible endpoint than the Settings' (benchmarks/evaluation.py)."""

	base_url: str | None = None
	api_key: str | None = None
	model: str | None = None


def create(model: str | None = None, cases_filter: str | None = None, repeat: int = 1):
	doc = frappe.get_doc(
		{"doctype": RUN, "model": model, "cases_filter": cases_filter, "repeat": int(repeat or 1)}
	)
	return doc.insert(ignore_permissions=True)


def start(run: str) -> str:
	"""Queue a Draft run on the `long` queue; a run that already ran is copied and the copy queued.
	Returns the name of the run queued."""
	doc = frappe.get_doc(RUN, run)
	doc.check_idle()
	if doc.status != "Draft":
		doc = create(doc.model, doc.cases_filter, doc.repeat)
	taken = len(case_store.select(doc.cases_filter)) * int(doc.repeat or 1)
	timeout = 300 + taken * 3 * float(get_settings().openai_timeout or 30)  # a slow endpoint, retried
	job_id = JOB_PREFIX + doc.name
	doc.db_set({"status": "Queued", "job_id": job_id, "progress": 0, "error": None})
	frappe.enqueue(
		"whatsapp_chatbot.evaluation.runner.execute",
		queue="long",
		timeout=int(timeout),
		job_id=job_id,
		enqueue_after_commit=True,
		run=doc.name,
	)
	return doc.name


def execute(run: str, endpoint: Endpoint | None = None, echo=None):
	"""Run every case; `echo` (the terminal) is told each result as it comes."""
	doc = frappe.get_doc(RUN, run)
	settings = get_settings()
	endpoint = endpoint or Endpoint(base_url=settings.openai_base_url)
	model = endpoint.model or doc.model or settings.openai_model
	try:
		if not model:
			raise ValueError("no model: set one in WhatsApp Chatbot Settings or on the run")
		client = openai_client.make_client(
			frappe._dict(openai_base_url=endpoint.base_url or "", openai_timeout=settings.openai_timeout),
			api_key=endpoint.api_key,
		)
		taken = case_store.select(doc.cases_filter)
	except (openai.OpenAIError, ValueError) as error:
		return _fail(doc, str(error))
	doc.db_set(
		{
			"status": "Running",
			"model": model,
			"base_url": str(client.base_url),
			"fingerprint": gate.current_fingerprint(),
			"case_count": len(taken),
			"started_at": now_datetime(),
			"finished_at": None,
			"progress": 0,
			"error": None,
		}
	)
	frappe.db.commit()
	price = price_for(model, [p.as_dict() for p in settings.get("model_prices") or []])
	steps = int(settings.max_tool_steps or 4)
	plan = [(case, repeat) for case in taken for repeat in range(1, int(doc.repeat or 1) + 1)]
	try:
		for done, (case, repeat) in enumerate(plan, start=1):
			result = _record(doc.name, case, repeat, _exchange(case, client, model, steps), price)
			if echo:
				echo(
					f"{case.case_id} #{repeat}: {'pass' if result.passed else 'FAIL'} {result.called or '-'}"
				)
			progress = round(100.0 * done / len(plan), 1)
			doc.db_set("progress", progress, update_modified=False)
			frappe.db.commit()
			_publish(doc, progress, done, len(plan))
		finish(doc)
	except Exception as error:
		frappe.db.rollback()
		_fail(doc, f"{type(error).__name__}: {error}")
		raise
	return doc


def _exchange(case, client, model: str, steps: int) -> Exchange:
	try:
		return exchange.run(case, client, model, steps)
	except Exception as error:  # a case that cannot be put to the model (its User was deleted…) fails alone
		frappe.db.rollback()
		return Exchange(Capture(error=f"{type(error).__name__}: {error}"[:500]))


def _record(run: str, case, repeat: int, done: Exchange, price: dict | None):
	judged = scoring.score(case.expectation, done.capture)
	return frappe.get_doc(
		{
			"doctype": RESULT,
			"run": run,
			"case": case.case_id,
			"repeat": repeat,
			"passed": int(judged.passed),
			"score": round(100.0 * judged.fraction, 1),
			"expect": case.expectation.expect,
			"expected_command": case.expectation.command,
			"called": " → ".join(c.name for c in done.capture.calls)[:140],
			**{f"{part}_right": _yes_no(value) for part, value in judged.parts.items()},
			"reasons": "\n".join(judged.reasons),
			"answer": done.capture.text,
			"tool_calls": _json([dataclasses.asdict(c) for c in done.capture.calls]),
			"error": done.capture.error,
			"prompt_tokens": done.usage.prompt_tokens,
			"cached_tokens": done.usage.cached_tokens,
			"completion_tokens": done.usage.completion_tokens,
			"cost": done.usage.cost(price),
			"latency": round(done.latency, 3),
			"steps": done.steps,
			"request": _json(done.requests),
			"response": _json(done.responses),
		}
	).insert(ignore_permissions=True)


def finish(doc) -> None:
	"""Totals, the comparison with the previous run of the same cases, Completed."""
	results = frappe.get_all(RESULT, filters={"run": doc.name}, fields=["*"], order_by="creation asc")
	scores = [_score_of(r) for r in results]
	figures = scoring.totals(scores)
	latencies = sorted(float(r.latency or 0) for r in results)
	previous = previous_run(doc)
	changes = scoring.compare(passes(previous), passes(doc.name)) if previous else None
	doc.db_set(
		{
			"status": "Completed",
			"finished_at": now_datetime(),
			"progress": 100,
			"result_count": figures["results"],
			"passed": figures["passed"],
			"pass_rate": figures["pass_rate"],
			**{f"{part}_rate": figures[f"{part}_rate"] or 0 for part in scoring.PARTS},
			"errors": sum(1 for r in results if r.error or _broken_call(r.tool_calls)),
			"prompt_tokens": sum(int(r.prompt_tokens or 0) for r in results),
			"cached_tokens": sum(int(r.cached_tokens or 0) for r in results),
			"completion_tokens": sum(int(r.completion_tokens or 0) for r in results),
			"cost": sum(float(r.cost or 0) for r in results),
			"latency_avg": sum(latencies) / len(latencies) if latencies else 0,
			"latency_p95": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else 0,
			"previous_run": previous,
			"better": len(changes["better"]) if changes else 0,
			"worse": len(changes["worse"]) if changes else 0,
			"comparison": _json(changes) if changes else None,
		}
	)
	frappe.db.commit()
	_publish(doc, 100, len(results), len(results))


def previous_run(doc) -> str | None:
	"""The latest completed run before this one that took the same cases filter."""
	wanted = sorted(selection.terms(doc.cases_filter))
	for row in frappe.get_all(
		RUN,
		filters={"status": "Completed", "name": ("!=", doc.name), "creation": ("<=", doc.creation)},
		fields=["name", "cases_filter"],
		order_by="creation desc",
		limit=50,
	):
		if sorted(selection.terms(row.cases_filter)) == wanted:
			return row.name
	return None


def passes(run: str) -> dict[str, list[bool]]:
	by_case: dict[str, list[bool]] = {}
	for row in frappe.get_all(
		RESULT, filters={"run": run}, fields=["case", "passed"], order_by="`repeat` asc"
	):
		by_case.setdefault(row.case, []).append(bool(row.passed))
	return by_case


def _score_of(row) -> scoring.Score:
	return scoring.Score(
		passed=bool(row.passed),
		**{part: {"Yes": True, "No": False}.get(row.get(f"{part}_right")) for part in scoring.PARTS},
	)


def _broken_call(tool_calls: str | None) -> bool:
	try:
		return any(c.get("error") for c in json.loads(tool_calls or "[]"))
	except (ValueError, AttributeError):
		return False


def _fail(doc, error: str):
	doc.db_set({"status": "Failed", "error": error[:1000], "finished_at": now_datetime()})
	frappe.db.commit()
	_publish(doc, doc.progress or 0, 0, 0)
	return doc


def _publish(doc, progress: float, done: int, total: int) -> None:
	frappe.publish_realtime(
		EVENT,
		{"name": doc.name, "progress": progress, "done": done, "total": total, "status": doc.status},
		doctype=RUN,
		docname=doc.name,
	)


def _yes_no(value: bool | None) -> str:
	return "" if value is None else ("Yes" if value else "No")


def _json(value) -> str:
	return json.dumps(value, ensure_ascii=False, indent=1, default=str)
