"""bench commands: `bench --site SITE whatsapp-chatbot chat --as PHONE`."""

import click
from frappe.commands import get_site, pass_context


@click.group("whatsapp-chatbot")
def whatsapp_chatbot():
	"""WhatsApp chatbot tools."""


@whatsapp_chatbot.command("chat")
@click.option(
	"--as",
	"phone",
	required=True,
	help="WhatsApp number of the contact to chat as (digits with country code)",
)
@pass_context
def chat(context, phone):
	"""Chat with the bot in the terminal as a contact, through the same pipeline as WhatsApp."""
	import frappe

	from whatsapp_chatbot.channel import terminal

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		terminal.run(phone, read=input, write=click.echo)
	finally:
		frappe.destroy()


commands = [whatsapp_chatbot]
