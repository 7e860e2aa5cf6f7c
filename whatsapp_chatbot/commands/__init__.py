"""bench commands: `bench --site SITE whatsapp-chatbot chat --as PHONE` (or `--user EMAIL`).

Also the one place that runs in an RQ worker's parent process before it forks a process per job:
bench imports every app's `commands` module to build its CLI. Importing the job modules here (in
`bench worker` only) means each job inherits OpenAI's SDK and our pipeline already loaded, instead
of importing them again in every forked job (about 0.4 s a job, most of a turn's latency).
"""

import sys

import click
from frappe.commands import get_site, pass_context

if "worker" in sys.argv[1:4] or "worker-pool" in sys.argv[1:4]:
	import whatsapp_chatbot.jobs.process_message
	import whatsapp_chatbot.jobs.run_long_command
	import whatsapp_chatbot.jobs.send
	import whatsapp_chatbot.tools.charts
	import whatsapp_chatbot.tools.documents
	import whatsapp_chatbot.tools.erpnext
	import whatsapp_chatbot.tools.exports
	import whatsapp_chatbot.tools.generic
	import whatsapp_chatbot.tools.writes
	from whatsapp_chatbot.charts import render as _charts

	_charts.preload()
	# the bot's sentences, read from its code (about 0.27 s): once here, not in every job
	from whatsapp_chatbot import msgids as _msgids

	_msgids.catalogue()
	# What every turn's job otherwise imports after the fork (measured with -X importtime, about
	# 0.35 s a job): the database driver, Frappe's notification and search hooks run on each insert,
	# User, and the OpenAI SDK's lazily loaded chat resource and its HTTP transport.
	import frappe.core.doctype.user.user
	import frappe.database.mariadb.database
	import frappe.email.doctype.notification.notification
	import frappe.search.full_text_search
	import frappe.search.sqlite_search
	import openai
	import openai.resources.chat.completions.completions

	openai.OpenAI(api_key="-", base_url="http://127.0.0.1:9")  # loads the HTTP transport; no request


@click.group("whatsapp-chatbot")
def whatsapp_chatbot():
	"""WhatsApp chatbot tools."""


@whatsapp_chatbot.command("chat")
@click.option(
	"--as",
	"phone",
	help="WhatsApp number of the contact to chat as (digits with country code)",
)
@click.option("--user", help="Chat as this User at once (their test contact is made if needed)")
@pass_context
def chat(context, phone=None, user=None):
	"""Chat with the bot in the terminal as a contact, through the same pipeline as WhatsApp."""
	import frappe

	from whatsapp_chatbot.channel import terminal

	if bool(phone) == bool(user):
		raise click.UsageError("give --as NUMBER or --user EMAIL")
	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		terminal.run(phone, read=input, write=click.echo, user=user)
	except ValueError as error:
		raise click.ClickException(str(error))
	finally:
		frappe.destroy()


from whatsapp_chatbot.commands.evaluation import evaluate

whatsapp_chatbot.add_command(evaluate)

commands = [whatsapp_chatbot]
