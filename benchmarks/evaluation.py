"""Evaluation: how well a model does the bot's job on the evaluation cases, and what a full run costs.

Runs the cases (Chatbot Evaluation Case: the starter set and the site's own) through the bot's real
prompt and tool schemas (evaluation/runner.py: tool calls are captured, never run) against the
endpoint that OPENAI_BASE_URL / OPENAI_API_KEY point at (model: --model, else OPENAI_MODEL, else the
Settings'), or, without them, the one in WhatsApp Chatbot Settings. Prints the per-case table, the
totals, the comparison with the previous run of the same cases, the regression gate's line, and
the cost of a full run of every enabled case per model in the Settings' price table (Model Prices),
from the tokens this run used.

The run is kept as a Chatbot Evaluation Run (the record the gate looks for), except with
--stand-in: the cases then go to tests/fake_openai.py answering each as it expects, which shows the
machinery and its overhead without a key and is deleted afterwards (it says nothing of a model).

    cd ~/frappe-bench/sites
    OPENAI_API_KEY=sk-... ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/evaluation.py \\
        --site your.site --model gpt-4.1-mini [--cases stock] [--repeat 3]
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/evaluation.py --site test.localhost --stand-in
"""

from __future__ import annotations

import argparse
import os
import time


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="test.localhost")
	parser.add_argument("--model", help="the model to ask (default: OPENAI_MODEL, else the Settings')")
	parser.add_argument("--cases", help="tags or case ids, comma-separated (default: every enabled case)")
	parser.add_argument("--repeat", type=int, default=1)
	parser.add_argument("--stand-in", action="store_true", help="the OpenAI stand-in, answering perfectly")
	parser.add_argument(
		"--price",
		action="append",
		default=[],
		metavar="MODEL=IN,CACHED,OUT",
		help="an extra price row, USD per 1M tokens (e.g. gpt-4.1-nano=0.1,0.025,0.4)",
	)
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		evaluate(args)
	finally:
		frappe.destroy()


def evaluate(args) -> None:
	import frappe

	from whatsapp_chatbot.channel.settings import get_settings
	from whatsapp_chatbot.evaluation import cases, gate, report, runner, table

	settings = get_settings()
	stand_in = None
	if args.stand_in:
		from whatsapp_chatbot.tests.evaluation_stand_in import Oracle
		from whatsapp_chatbot.tests.fake_openai import FakeOpenAI, from_request

		stand_in = FakeOpenAI().start()
		stand_in.default = from_request(Oracle(cases.select(args.cases)).perfect)
		endpoint = runner.Endpoint(stand_in.base_url, "sk-stand-in", args.model or "gpt-4.1-mini")
		where = f"the OpenAI stand-in (perfect answers) at {stand_in.base_url}"
	elif os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"):
		endpoint = runner.Endpoint(
			os.environ.get("OPENAI_BASE_URL"),
			os.environ.get("OPENAI_API_KEY"),
			args.model or os.environ.get("OPENAI_MODEL"),
		)
		where = f"OPENAI_BASE_URL={os.environ.get('OPENAI_BASE_URL') or '(OpenAI)'}"
	else:
		endpoint = None if not args.model else runner.Endpoint(settings.openai_base_url, None, args.model)
		where = "the endpoint in WhatsApp Chatbot Settings"

	run = runner.create(endpoint.model if endpoint else None, args.cases, args.repeat)
	frappe.db.commit()
	print(f"\nevaluation: {run.name} against {where}")
	started = time.monotonic()
	try:
		runner.execute(run.name, endpoint=endpoint)
		wall = time.monotonic() - started
		run.reload()
		if run.status != "Completed":
			raise SystemExit(f"{run.name} {run.status}: {run.error}")
		print(
			f"model {run.model} at {run.base_url}; {run.case_count} cases × {run.repeat}; {wall:.1f} s wall"
		)
		print()
		print(table.results_table(report.rows(run.name)))
		print()
		print(table.totals_text(report.figures(run), report.changes(run), run.previous_run))
		if stand_in:
			print(
				f"runner overhead: {wall / max(1, run.result_count) * 1000:.0f} ms per case (stand-in answers)"
			)
		print()
		full_run_costs(run, settings, args.price, len(cases.select(None)))
	finally:
		if stand_in:
			stand_in.stop()
			frappe.db.delete("Chatbot Evaluation Result", {"run": run.name})
			frappe.db.delete("Chatbot Evaluation Run", {"name": run.name})
			frappe.db.commit()
			print(f"(the stand-in's run {run.name} was deleted: it is no record of a model)")
	print(gate.line())


def full_run_costs(run, settings, extra: list[str], enabled: int) -> None:
	"""This run's tokens, scaled to one run of every enabled case, at each price row."""
	from whatsapp_chatbot.interpreter.usage import Usage

	prices = [p.as_dict() for p in settings.get("model_prices") or []] + [parse_price(p) for p in extra]
	results = max(1, run.result_count)
	scale = enabled / results
	usage = Usage(
		round(run.prompt_tokens * scale),
		round(run.cached_tokens * scale),
		round(run.completion_tokens * scale),
	)
	print(
		f"a full run ({enabled} enabled cases, once each): about {usage.prompt_tokens} prompt tokens "
		f"({usage.cached_tokens} cached) and {usage.completion_tokens} completion tokens, as counted by "
		f"{run.model}; other models count a little differently"
	)
	if not prices:
		print("no price table: add rows in WhatsApp Chatbot Settings → Model Prices, or pass --price")
	for price in sorted(prices, key=lambda p: p["model"]):
		print(f"  {price['model']:<24} ${usage.cost(price):.4f}")


def parse_price(text: str) -> dict:
	model, _, rates = text.partition("=")
	fresh, cached, out = (float(r) for r in rates.split(","))
	return {
		"model": model.strip(),
		"input_per_million": fresh,
		"cached_input_per_million": cached,
		"output_per_million": out,
	}


if __name__ == "__main__":
	main()
