"""The terminal standing in for WhatsApp (`bench --site SITE whatsapp-chatbot chat --as PHONE`).

Same pipeline as a real message: the text is stored as an incoming Chatbot Message (channel
Terminal), processed by the same job function as that contact, answered through the same outbox
(rows marked Sent, printed instead of posted to Meta), with the same confirmations. Reply buttons
and lists show as numbered choices; typing the number presses the button.
"""

from __future__ import annotations

import json

import frappe
from frappe.utils import now_datetime

from whatsapp_chatbot.channel import contacts, inbox
from whatsapp_chatbot.jobs.process_message import process_message

MESSAGE = "Chatbot Message"


class TerminalChat:
	def __init__(self, phone: str):
		self.phone = "".join(ch for ch in phone if ch.isdigit())
		if not self.phone:
			raise ValueError("--as takes a phone number with country code, e.g. 5215512345678")
		self.choices: list[tuple[str, str]] = []  # (id, title) of the last buttons shown

	def greeting(self) -> str:
		contact = contacts.find(self.phone, None)
		if contact is None or not contact.user:
			return (
				f"{self.phone} is not linked to a user yet: the bot will refuse it, as on WhatsApp. "
				"Link it in Chatbot Contact to chat as that user. Type /quit to leave."
			)
		return f"Chatting as {contact.profile_name or self.phone} → {contact.user}. /help lists commands, /quit leaves."

	def send(self, text: str) -> list[str]:
		"""Store and process one line; return what the bot answered, as printable lines."""
		text = text.strip()
		if text.isdigit() and self.choices and 1 <= int(text) <= len(self.choices):
			choice_id, title = self.choices[int(text) - 1]
			message = self._store("interactive", title, interactive_id=choice_id)
		else:
			message = self._store("text", text)
		frappe.db.commit()
		process_message(message)  # also sends (here: marks Sent) what it answered
		frappe.db.commit()
		return self._answers(message)

	def _store(self, message_type: str, text: str, interactive_id: str | None = None) -> str:
		doc = frappe.get_doc(
			{
				"doctype": MESSAGE,
				"direction": "Incoming",
				"status": "Received",
				"channel": "Terminal",
				"wamid": f"terminal.{frappe.generate_hash(length=20)}",
				"message_type": message_type,
				"sender_key": self.phone,
				"wa_id": self.phone,
				"profile_name": "Terminal",
				"text": text,
				"interactive_id": interactive_id,
				"meta_timestamp": now_datetime(),
			}
		)
		inbox.log_insert(doc)
		return doc.name

	def _answers(self, message: str) -> list[str]:
		lines: list[str] = []
		self.choices = []
		for row in frappe.get_all(
			MESSAGE,
			filters={"in_reply_to_message": message, "direction": "Outgoing"},
			fields=["name", "request_body", "status", "error_message"],
			order_by="creation asc",
		):
			body = json.loads(row.request_body or "{}")
			kind = body.get("type")
			if kind == "text":
				lines.append(body["text"]["body"])
			elif kind == "interactive":
				interactive = body["interactive"]
				lines.append(interactive["body"]["text"])
				buttons = [
					(b["reply"]["id"], b["reply"]["title"]) for b in interactive["action"].get("buttons", [])
				]
				rows = [
					(r["id"], r["title"])
					for s in interactive["action"].get("sections", [])
					for r in s["rows"]
				]
				self.choices = buttons + rows
				lines += [f"  {index}) {title}" for index, (_, title) in enumerate(self.choices, 1)]
			elif kind in ("document", "image"):
				file_url = frappe.db.get_value(
					"File", {"attached_to_doctype": MESSAGE, "attached_to_name": row.name}, "file_url"
				)
				media = body[kind]
				lines.append(
					f"[{' '.join(filter(None, [kind, media.get('filename')]))}: {file_url}] {media.get('caption') or ''}".strip()
				)
			if row.status == "Failed":
				lines.append(f"(not delivered: {row.error_message})")
		incoming = frappe.db.get_value(MESSAGE, message, ["status", "error_message"], as_dict=True)
		if not lines and incoming.status in ("Ignored", "Failed"):
			lines.append(f"({incoming.status.lower()}: {incoming.error_message or 'no answer'})")
		return lines


def run(phone: str, read=input, write=print) -> None:
	chat = TerminalChat(phone)
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
