"""What the Desk transcript shows for stored messages and commands (review/bubbles.py)."""

import json

from whatsapp_chatbot.channel import outgoing
from whatsapp_chatbot.review import bubbles


def test_outgoing_buttons_with_read_ticks():
	body = outgoing.buttons("¿Confirmas?", [("c:1", "Confirmar"), ("x:1", "Cancelar")])
	bubble = bubbles.message_bubble(
		{"name": "m1", "direction": "Outgoing", "status": "Read", "request_body": json.dumps(body)}
	)
	assert (bubble["side"], bubble["text"], bubble["buttons"], bubble["ticks"]) == (
		"right",
		"¿Confirmas?",
		["Confirmar", "Cancelar"],
		"read",
	)
	assert bubble["colour"] is None


def test_outgoing_list_document_and_failure():
	body = outgoing.choice_list("Elige", "Ver", [("Clientes", [("a", "Acme", "MXN")])])
	listed = bubbles.message_bubble({"direction": "Outgoing", "status": "Sent", "request_body": body})
	assert listed["list"] == {
		"button": "Ver",
		"sections": [{"title": "Clientes", "rows": [{"title": "Acme", "description": "MXN"}]}],
	}
	document = bubbles.message_bubble(
		{
			"direction": "Outgoing",
			"status": "Failed",
			"error_code": "131047",
			"error_message": "Re-engagement message",
			"request_body": json.dumps(outgoing.document("id", "ventas.xlsx", "Ventas de hoy")),
		},
		files=[{"file_name": "ventas.xlsx", "file_url": "/private/files/ventas.xlsx"}],
	)
	assert document["text"] == "Ventas de hoy"
	assert document["media"]["filename"] == "ventas.xlsx"
	assert document["files"] == [{"name": "ventas.xlsx", "url": "/private/files/ventas.xlsx", "image": False}]
	assert (document["ticks"], document["error"]) == (
		"failed",
		{"code": "131047", "text": "Re-engagement message"},
	)


def test_incoming_voice_button_and_location():
	voice = bubbles.message_bubble(
		{
			"direction": "Incoming",
			"status": "Answered",
			"message_type": "audio",
			"is_voice": 1,
			"media_id": "m",
			"transcript": "precio del tornillo",
			"text": "precio del tornillo",
		}
	)
	assert (voice["side"], voice["transcript"], voice["text"], voice["media"]["voice"]) == (
		"left",
		"precio del tornillo",
		"",
		True,
	)
	assert (voice["ticks"], voice["colour"]) == (None, "green")
	pressed = bubbles.message_bubble(
		{"direction": "Incoming", "status": "Answered", "interactive_id": "c:1", "text": "Confirmar"}
	)
	assert (pressed["pressed"], pressed["text"]) == ("Confirmar", "")
	place = bubbles.message_bubble({"direction": "Incoming", "latitude": 19.43, "longitude": -99.13})
	assert place["location"] == {"latitude": 19.43, "longitude": -99.13}


def test_a_bad_request_body_is_only_text():
	bubble = bubbles.message_bubble({"direction": "Outgoing", "text": "hola", "request_body": "{not json"})
	assert (bubble["text"], bubble["buttons"], bubble["list"]) == ("hola", [], None)


def test_command_card_and_timeline_order():
	running = bubbles.command_card(
		{
			"name": "CMD-2",
			"command": "export_list",
			"status": "Running",
			"progress": 40,
			"message": "m1",
			"creation": "2026-01-01 10:00:02",
		}
	)
	failed = bubbles.command_card(
		{
			"name": "CMD-1",
			"command": "x",
			"status": "Failed",
			"error": "boom\nmore",
			"creation": "2026-01-01 09:00:00",
		}
	)
	assert (running["active"], running["progress"], running["colour"]) == (True, 40.0, "blue")
	assert (failed["summary"], failed["colour"], failed["active"]) == ("boom", "red", False)
	m1 = {"kind": "message", "name": "m1", "at": "2026-01-01 10:00:00"}
	m2 = {"kind": "message", "name": "m2", "at": "2026-01-01 10:00:01"}
	# the card comes right after the message that asked for it, even if created after the answer
	assert [i["name"] for i in bubbles.ordered([m2, m1], [running, failed])] == ["CMD-1", "m1", "CMD-2", "m2"]


def test_held_message_shows_held_and_why():
	held = bubbles.message_bubble(
		{
			"direction": "Outgoing",
			"status": "Held",
			"error_code": "131047",
			"error_message": "held: more than 24 hours since the contact last wrote",
			"request_body": json.dumps(outgoing.text("Tu exportación está lista")),
		}
	)
	# no tick (nothing went to Meta): the Held pill, orange, and the reason under the text
	assert (held["ticks"], held["colour"], held["status"]) == (None, "orange", "Held")
	assert held["text"] == "Tu exportación está lista"
	assert held["error"]["text"].startswith("held: more than 24 hours")
