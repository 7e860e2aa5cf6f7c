"""The terminal standing in for WhatsApp: `bench --site SITE whatsapp-chatbot chat --as PHONE` or
`--user EMAIL` (chats as that User at once, through their stand-in contact).

Same pipeline as a real message (channel/standin.py): stored, processed by the same job function,
answered through the same outbox. Reply buttons and lists show as numbered choices; typing the
number presses the button.
"""

from __future__ import annotations

import frappe

from whatsapp_chatbot.channel import standin
from whatsapp_chatbot.jobs.process_message import process_message


class TerminalChat:
	def __init__(self, phone: str | None = None, user: str | None = None):
		if bool(phone) == bool(user):
			raise ValueError("chat as a phone number (--as) or as a User (--user), not both")
		if user:
			self.contact = standin.contact_for_user(user)
			frappe.db.commit()
		else:
			self.contact = standin.contact_for_phone(phone)
		self.choices: list[tuple[str, str]] = []  # (id, title) of the last buttons shown

	@property
	def phone(self) -> str | None:
		return self.contact.wa_id

	def greeting(self) -> str:
		who = self.contact.wa_id or self.contact.user
		refusal = standin.refusal(self.contact)
		if refusal:
			return f"{who}: {refusal}. Link it in Chatbot Contact to chat as that user. Type /quit to leave."
		name = self.contact.profile_name or who
		return f"Chatting as {name} → {self.contact.user}. /help lists commands, /quit leaves."

	def send(self, text: str) -> list[str]:
		"""Store and process one line; return what the bot answered, as printable lines."""
		text = text.strip()
		if text.isdigit() and self.choices and 1 <= int(text) <= len(self.choices):
			choice_id, title = self.choices[int(text) - 1]
			message = standin.store(self.contact, title, interactive_id=choice_id)
		else:
			message = standin.store(self.contact, text)
		frappe.db.commit()
		process_message(message)  # also sends (here: marks Sent) what it answered
		frappe.db.commit()
		if not self.contact.name:  # a number seen for the first time now has its contact
			self.contact = standin.contact_for_phone(self.contact.wa_id)
		return self._lines(message)

	def _lines(self, message: str) -> list[str]:
		lines: list[str] = []
		self.choices = []
		for shown in standin.answers_to(message):
			if shown["kind"] in ("document", "image"):
				lines.append(
					f"[{shown['kind']} {shown['filename']}: {shown['file_url']}] {shown['text']}".strip()
				)
			elif shown["text"]:
				lines.append(shown["text"])
			if shown["choices"]:
				self.choices = shown["choices"]
				lines += [f"  {index}) {title}" for index, (_, title) in enumerate(self.choices, 1)]
			if shown.get("failed"):
				lines.append(f"(not delivered: {shown['failed']})")
		incoming = frappe.db.get_value(standin.MESSAGE, message, ["status", "error_message"], as_dict=True)
		if not lines and incoming.status in ("Ignored", "Failed", "Handled by Person"):
			lines.append(f"({incoming.status.lower()}: {incoming.error_message or 'no answer'})")
		return lines


def run(phone: str | None = None, read=input, write=print, user: str | None = None) -> None:
	chat = TerminalChat(phone, user=user)
	write(chat.greeting())
	while True:
		try:
			text = read("> ")
		except (EOFError, KeyboardInterrupt):
			write("")
			return
		if text.strip() in ("/quit", "/exit"):
			return
		if not text.strip():
			continue
		for line in chat.send(text):
			write(line)
