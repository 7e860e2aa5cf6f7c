"""bench commands: `bench --site SITE whatsapp-chatbot chat --as PHONE` (or `--user EMAIL`).

Also the one place that runs in an RQ worker's parent process before it forks a process per job:
bench imports every app's `commands` module to build its CLI. Loading what a turn needs here (in
`bench worker` and `bench worker-pool` only: preload.py) means each job inherits OpenAI's SDK, our
pipeline and Frappe's modules already loaded, instead of importing them again in every forked job.
WHATSAPP_CHATBOT_PRELOAD=0 in the worker's environment turns it off (to measure what it costs).
"""

import os
import sys

import click
from frappe.commands import get_site, pass_context

from whatsapp_chatbot import preload

if preload.is_worker_command(sys.argv) and os.environ.get("WHATSAPP_CHATBOT_PRELOAD") != "0":
	preload.worker_parent()


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
