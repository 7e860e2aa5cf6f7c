"""Meta's webhook: GET verification and signed POST deliveries.

The request only verifies, parses, stores and enqueues; OpenAI and Graph calls happen in jobs. Items
are stored one by one: one Meta sent that cannot be stored is logged with its raw text and the rest
of the batch is kept and acknowledged (a redelivery would fail the same way); only a passing
database error asks Meta to deliver the batch again.
Answers are bare werkzeug Responses because Meta reads the body (the challenge) and the status,
not Frappe's {"message": ...} envelope.
When the turn queue is backed up, the senders of the stored messages are told their answer is
coming (channel/backlog.py: a queued message, sent by a job; it never fails the request).
"""

from __future__ import annotations

import hmac

import frappe
from werkzeug.wrappers import Response

from whatsapp_chatbot import kept_metas
from whatsapp_chatbot.channel import backlog, inbox, signature
from whatsapp_chatbot.channel.payload import MAX_BODY_BYTES, PayloadError, parse_webhook
from whatsapp_chatbot.channel.settings import secret


@frappe.whitelist(allow_guest=True, methods=["GET", "POST"])
def webhook(**_form_dict) -> Response:
	# Frappe passes the parsed JSON body as keyword arguments; the raw bytes are what is signed.
	if frappe.request.method == "GET":
		return verify(frappe.request.args)
	kept_metas.seed()  # Chatbot Message's meta, kept by this gunicorn worker (kept_metas.py)
	try:
		return receive()
	finally:
		kept_metas.keep()


def verify(args) -> Response:
	expected = secret("verify_token")
	given = args.get("hub.verify_token") or ""
	challenge = args.get("hub.challenge") or ""
	if (
		args.get("hub.mode") == "subscribe"
		and expected
		and challenge
		and hmac.compare_digest(expected.encode(), given.encode())
	):
		return _plain(challenge, 200)
	return _plain("Forbidden", 403)


def receive() -> Response:
	if (frappe.request.content_length or 0) > MAX_BODY_BYTES:
		return _plain("Payload Too Large", 413)
	body = frappe.request.get_data(cache=True)
	header = frappe.request.headers.get(signature.HEADER)
	if not header:
		return _plain("Unauthorized", 401)
	if not signature.is_valid(secret("app_secret") or "", body, header):
		return _plain("Forbidden", 403)
	try:
		parsed = parse_webhook(body)
	except PayloadError as error:
		return _plain(f"Bad Request: {error}", 400)
	stored = inbox.store(parsed)
	# those stored are waiting, whether or not Meta retries; uncommitted, their jobs are not queued yet
	backlog.tell_waiting(stored.messages, queued=stored.committed)
	if stored.retry:
		return _plain("Service Unavailable", 503)
	return _plain("OK", 200)


def _plain(text: str, status: int) -> Response:
	return Response(text, status=status, mimetype="text/plain")
