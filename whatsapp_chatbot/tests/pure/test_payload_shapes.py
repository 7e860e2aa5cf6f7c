"""Signed bodies of odd shapes: every readable item is kept, the rest becomes a WebhookError."""

from whatsapp_chatbot.channel.payload import parse_webhook


def _body(*values) -> dict:
	return {
		"object": "whatsapp_business_account",
		"entry": [
			{"id": "1", "changes": [{"field": "messages", "value": v} for v in values]},
			"not an entry",
		],
	}


def _text(wamid: str) -> dict:
	return {"from": "5215512345678", "id": wamid, "timestamp": "1", "type": "text", "text": {"body": "hola"}}


def test_odd_errors_values_and_lists_cost_nothing_else():
	good = {
		"metadata": {"phone_number_id": 106540352242922},  # a number, not a string
		"contacts": "nobody",
		"errors": [{"code": 131000, "error_data": "not an object"}, "not an error"],
		"messages": [_text("wamid.A")],
		"statuses": {"id": "wamid.X"},  # an object where a list belongs: no items
	}
	parsed = parse_webhook(_body(good, "not a value", {"metadata": "odd", "messages": [_text("wamid.B")]}))
	assert [m.wamid for m in parsed.messages] == ["wamid.A", "wamid.B"]
	assert parsed.messages[0].phone_number_id == "106540352242922"
	assert parsed.messages[1].phone_number_id is None
	assert parsed.statuses == []
	assert [e.message.split(":")[0] for e in parsed.errors] == [
		"unreadable error",
		"",  # "not an error" is read as an error without text, as before
		"unreadable change value",
	]
