"""`bench --site SITE whatsapp-chatbot evaluate`: run the evaluation cases against the configured
model and print the per-case table and totals (evaluation/), or with --check only say whether the
current instructions and tool descriptions have a run on record."""

import click
from frappe.commands import get_site, pass_context


@click.command("evaluate")
@click.option("--model", help="Another model than the Settings' (same endpoint and key)")
@click.option("--cases", "cases_filter", help="Tags or case ids, comma-separated: cases having all of them")
@click.option("--repeat", type=click.IntRange(1, 20), default=1, show_default=True, help="Runs of each case")
@click.option("--check", is_flag=True, help="Only say whether these instructions and tools were evaluated")
@pass_context
def evaluate(context, model=None, cases_filter=None, repeat=1, check=False):
	"""Score the model on the evaluation cases: tool calls are captured, never run."""
	import frappe

	from whatsapp_chatbot.evaluation import gate, report, runner, table

	frappe.init(site=get_site(context))
	frappe.connect()
	try:
		frappe.set_user("Administrator")
		if check:
			click.echo(gate.line())
			return
		run = runner.create(model, cases_filter, repeat)
		frappe.db.commit()
		click.echo(f"{run.name}: evaluating…")
		run = runner.execute(run.name, echo=click.echo)
		run.reload()
		if run.status != "Completed":
			raise click.ClickException(f"{run.name} {run.status}: {run.error}")
		click.echo("")
		click.echo(table.results_table(report.rows(run.name)))
		click.echo("")
		click.echo(table.totals_text(report.figures(run), report.changes(run), run.previous_run))
		click.echo(gate.line())
	finally:
		frappe.destroy()
