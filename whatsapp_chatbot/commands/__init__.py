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


@whatsapp_chatbot.command("worker-pool")
@click.option("--queue", help="Queues to consume, comma-separated (default: all of Frappe's)")
@click.option("--num-workers", type=int, default=2, show_default=True, help="Workers in the pool")
@click.option("--quiet", is_flag=True, default=False, help="Log warnings only")
@click.option("--burst", is_flag=True, default=False, help="Stop once the queues are empty")
def worker_pool(queue=None, num_workers=2, quiet=False, burst=False):
	"""`bench worker-pool` whose workers run each job in their own process (no fork per job)."""
	from whatsapp_chatbot import worker_pool

	if num_workers < 1:
		raise click.UsageError("--num-workers must be at least 1")
	worker_pool.start(queue=queue, num_workers=num_workers, quiet=quiet, burst=burst)


from whatsapp_chatbot.commands.evaluation import evaluate

whatsapp_chatbot.add_command(evaluate)

commands = [whatsapp_chatbot]
