"""What an approver reads and presses (approvals/message.py), without a site."""

from __future__ import annotations

import pytest

from whatsapp_chatbot import texts
from whatsapp_chatbot.approvals import message
from whatsapp_chatbot.approvals.message import Summary
from whatsapp_chatbot.channel import outgoing, template_message

SUMMARY = Summary(
	doctype="Orden de compra",
	name="PUR-ORD-2026-00042",
	state="Pendiente",
	party="Tornillos del Norte SA",
	amount="$ 1,234.50",
	requested_by="Ana López",
	lines=["• 200 x Tuerca M8 = $ 80.00", "• 10 x Tornillo = $ 4.00", "• 1 x Flete = $ 1,150.50"],
	more_lines=2,
)


def test_ids_name_the_approval_and_parse_back():
	button = message.button_id("a1b2c3d4e5", "f" * 20, 1)
	assert button == "wf:a1b2c3d4e5:" + "f" * 20 + ":1"
	assert message.is_ours(button)
	assert message.parse(button) == ("a1b2c3d4e5", "f" * 20, 1)
	assert len(button) <= outgoing.BUTTON_ID_LIMIT


@pytest.mark.parametrize(
	"forged",
	[
		"wf:a1b2:token",  # no action
		"wf:A1B2:token:1",  # not what the app writes
		"wf:a1b2:tok en:1",
		"wf:a1b2:token:1; drop",
		"wf:../x:token:1",
		"cmd:abc:token:y",
		"",
		None,
	],
)
def test_anything_else_is_not_an_approval_id(forged):
	assert message.parse(forged) is None


def test_body_says_what_for_whom_how_much_and_who_asked():
	text = message.body(SUMMARY, "es")
	first = texts.text(
		"approval_request", "es", doctype="Orden de compra", name=SUMMARY.name, state="Pendiente"
	)
	assert text.splitlines()[0] == first
	for part in (
		"Tornillos del Norte SA",
		texts.text("approval_total", "es", amount="$ 1,234.50"),
		"• 200 x Tuerca M8",
		texts.text("approval_more_lines", "es", count=2),
		texts.text("approval_requested_by", "es", user="Ana López"),
	):
		assert part in text


def test_a_long_body_drops_lines_before_the_total():
	many = Summary(**{**SUMMARY.__dict__, "lines": ["• " + "x" * 500] * 3})
	text = message.body(many, "en", limit=1024)
	assert len(text) <= 1024
	assert "Total: $ 1,234.50" in text and "Ana López" in text


def test_up_to_three_actions_are_reply_buttons_titled_by_the_workflow():
	ids = [message.button_id("a1", "t", i) for i in range(2)]
	sent = message.actions_message(SUMMARY, ids, ["Aprobar", "Rechazar"], "es")
	buttons = sent["interactive"]["action"]["buttons"]
	assert [(b["reply"]["id"], b["reply"]["title"]) for b in buttons] == list(
		zip(ids, ["Aprobar", "Rechazar"], strict=True)
	)


def test_more_than_three_actions_are_a_list():
	names = ["Approve", "Reject", "Send back to requester for changes", "Escalate"]
	ids = [message.button_id("a1", "t", i) for i in range(4)]
	sent = message.actions_message(SUMMARY, ids, names, "en")
	assert sent["interactive"]["type"] == "list"
	rows = sent["interactive"]["action"]["sections"][0]["rows"]
	assert [row["id"] for row in rows] == ids
	assert all(len(row["title"]) <= outgoing.ROW_TITLE_LIMIT for row in rows)
	assert sent["interactive"]["action"]["button"] == texts.text("approval_choose", "en")


def test_titles_fit_and_stay_distinct():
	titles = message.titles(["Approve with a very long name A", "Approve with a very long name B", "Ok"])
	assert all(len(t) <= outgoing.BUTTON_TITLE_LIMIT for t in titles)
	assert len(set(titles)) == 3


@pytest.mark.parametrize(
	"actions, expected",
	[
		(["Approve", "Reject"], (0, 1)),
		(["Rechazar", "Aprobar"], (1, 0)),
		(["aprovar", "Rejeitar"], (0, 1)),
		(["Approve", "Reject", "Review"], None),  # three: no fixed template says "Review"
		(["Approve", "Send Back"], None),
		(["Approve", "Approve"], None),
	],
)
def test_the_template_is_used_only_for_exactly_approve_and_reject(actions, expected):
	assert message.approve_reject(actions) == expected


APPROVAL_TEMPLATE = [  # the shape of the app's chatbot_approval_request
	{"type": "HEADER", "format": "DOCUMENT"},
	{
		"type": "BODY",
		"text": "{{doctype}} {{name}} ({{party}}, {{amount}}) was sent for your approval by {{requested_by}}.",
	},
	{
		"type": "BUTTONS",
		"buttons": [{"type": "QUICK_REPLY", "text": "Approve"}, {"type": "QUICK_REPLY", "text": "Reject"}],
	},
]


def test_template_parameters_fit_the_approval_template():
	definition = template_message.Definition.from_components(APPROVAL_TEMPLATE, "Named")
	spaced = Summary(**{**SUMMARY.__dict__, "party": "Tornillos\n del     Norte", "amount": ""})
	params = message.template_params(spaced, "wf:a:t:0", "wf:a:t:1")
	assert template_message.check(definition, params, header_media=True) == []
	assert params["body"]["party"] == "Tornillos del Norte"
	assert params["body"]["amount"] == message.EMPTY  # Meta refuses an empty parameter
	body = template_message.build("chatbot_approval_request", "es", definition, params)
	payloads = [
		c["parameters"][0]["payload"] for c in body["template"]["components"] if c["type"] == "button"
	]
	assert payloads == ["wf:a:t:0", "wf:a:t:1"]
