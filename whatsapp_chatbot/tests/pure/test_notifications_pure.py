"""A Notification's message as WhatsApp text, and its template parameters (notifications/)."""

import unittest

from whatsapp_chatbot.channel import template_message as tm
from whatsapp_chatbot.notifications import message_text, parameters

# Frappe's own email example for a Notification (notification.js), as a manager would paste it
FRAPPE_EXAMPLE = """<h3>Order Overdue</h3>

<p>Transaction {{ doc.name }} has exceeded Due Date. Please take necessary action.</p>

<!-- show last comment -->

<h4>Details</h4>

<ul>
<li>Customer: Acme &amp; Co
<li>Amount: <b> 1,000.00 </b>
</ul>
"""

NAMED = tm.Definition.from_components(
	[
		{"type": "HEADER", "format": "DOCUMENT"},
		{"type": "BODY", "text": "{{document}} for {{customer}}: {{details}}"},
		{
			"type": "BUTTONS",
			"buttons": [
				{"type": "QUICK_REPLY", "text": "Seen"},
				{"type": "URL", "text": "Open", "url": "https://erp.example/app/so/{{1}}"},
				{"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+5215500000000"},
			],
		},
	],
	"NAMED",
)
POSITIONAL = tm.Definition.from_components(
	[
		{"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
		{"type": "BODY", "text": "Dear {{1}}, your total is {{2}}."},
	]
)
NOTIFICATION = tm.Definition.from_components([{"type": "BODY", "text": "🔔 {{title}}\n{{details}}"}], "NAMED")


class TestMessageText(unittest.TestCase):
	def test_frappe_email_example_reads_as_whatsapp(self):
		text = message_text.to_text(FRAPPE_EXAMPLE.replace("{{ doc.name }}", "SO-0001"))
		self.assertEqual(
			text,
			"*Order Overdue*\n\nTransaction SO-0001 has exceeded Due Date. Please take necessary"
			" action.\n\n*Details*\n\n• Customer: Acme & Co\n• Amount: *1,000.00*",
		)

	def test_marks_hug_their_words_and_links_keep_their_address(self):
		html = '<p>See <a href="https://erp.example/app/sales-order/SO-1">the order</a>, <i>now </i>!</p>'
		self.assertEqual(
			message_text.to_text(html), "See the order (https://erp.example/app/sales-order/SO-1), _now_ !"
		)

	def test_tables_scripts_lists_and_breaks(self):
		html = (
			"<style>p{}</style><table><tr><th>Item</th><th>Qty</th></tr><tr><td>TORN-M8</td><td>2</td></tr>"
			"</table><ol><li>one</li><li>two</li></ol>a<br>b<script>alert(1)</script>"
		)
		self.assertEqual(message_text.to_text(html), "Item · Qty\nTORN-M8 · 2\n\n1. one\n2. two\n\na\nb")

	def test_plain_and_markdown_messages(self):
		self.assertFalse(message_text.is_html("Total < 5 and x > 2"))
		self.assertEqual(message_text.to_text("*Order* {{x}} < 5"), "*Order* {{x}} < 5")
		self.assertEqual(message_text.to_text("## New order\n- **Acme**"), "*New order*\n• *Acme*")

	def test_one_line_fits_a_template_parameter(self):
		value = message_text.one_line("*Order*\n\n• a\t b     c\n", 100)
		self.assertEqual(value, "*Order* · • a b c")
		self.assertEqual(tm._check_value("x", value, 1024), [])
		self.assertEqual(message_text.one_line("abcdef", 4), "abc…")


class TestParameters(unittest.TestCase):
	def test_slots_list_what_the_form_must_map(self):
		self.assertEqual(
			[(s["component"], s["parameter"], s["standard"]) for s in parameters.slots(NAMED)],
			[
				("Body", "document", True),
				("Body", "customer", False),
				("Body", "details", True),
				("Button", "0", False),
				("Button", "1", False),
			],
		)
		self.assertEqual(
			[(s["component"], s["parameter"]) for s in parameters.slots(POSITIONAL)],
			[("Header", "1"), ("Body", "1"), ("Body", "2")],
		)

	def test_standard_values_fill_the_app_template_without_rows(self):
		params, problems = parameters.fit(NOTIFICATION, {}, {"title": "New order", "details": "SO-1 · Acme"})
		self.assertEqual(problems, [])
		self.assertEqual(params, {"body": {"title": "New order", "details": "SO-1 · Acme"}})

	def test_named_rows_and_buttons(self):
		values = {("body", "{{customer}}"): "Acme", ("Button", "1"): "SO-1", ("Button", "0"): "seen:SO-1"}
		params, problems = parameters.fit(
			NAMED, values, {"document": "Sales Order SO-1", "details": "x"}, header_media=True
		)
		self.assertEqual(problems, [])
		self.assertEqual(
			params,
			{
				"body": {"document": "Sales Order SO-1", "customer": "Acme", "details": "x"},
				"buttons": {1: "SO-1", 0: "seen:SO-1"},
			},
		)
		body = tm.build("order_ready", "es", NAMED, params, header_media_id="m1", header_filename="SO-1.pdf")
		self.assertEqual(body["template"]["components"][0]["parameters"][0]["document"]["id"], "m1")

	def test_positional_rows_in_order(self):
		values = {("Body", "2"): "MXN 100", ("Body", "1"): "Ana", ("Header", "1"): "SO-1"}
		params, problems = parameters.fit(POSITIONAL, values, {})
		self.assertEqual(problems, [])
		self.assertEqual(params, {"header": ["SO-1"], "body": ["Ana", "MXN 100"]})

	def test_mismatches_are_named_for_the_manager(self):
		problems = parameters.mapping_problems(
			POSITIONAL,
			{("Body", "customer"), ("Body", "1"), ("Button", "0"), ("Footer", "1")},
			"order_due (es)",
		)
		self.assertIn(
			"order_due (es) has no body parameter {{customer}} (its parameters: {{1}}, {{2}})", problems
		)
		self.assertIn("order_due (es) has no button 0 (its buttons are numbered from 0: none)", problems)
		self.assertIn("“Footer” is not a part of a template (use Body, Header or Button)", problems)
		self.assertIn(
			"nothing fills the body parameter {{2}} of order_due (es): add a row with a Jinja expression for it",
			problems,
		)
		self.assertIn(
			"nothing fills the header parameter {{1}} of order_due (es): add a row with a Jinja expression for it",
			problems,
		)
		named = parameters.mapping_problems(NAMED, {("Button", "2")}, "t")
		self.assertIn("button 2 “Call” of t takes no parameter", named)
		self.assertIn("button 1 “Open” of t needs its URL suffix: add a row for it", named)
		self.assertIn(
			"nothing fills the body parameter {{customer}} of t: add a row with a Jinja expression for it",
			named,
		)

	def test_rendered_values_meta_would_refuse(self):
		_, problems = parameters.fit(
			NOTIFICATION, {("Body", "title"): ""}, {"details": "a\nb"}, template="chatbot_notification (en)"
		)
		self.assertEqual(
			problems,
			[
				"chatbot_notification (en): body parameter {{title}} is empty: Meta refuses empty parameters",
				"chatbot_notification (en): body parameter {{details}} contains a line break or tab, which Meta refuses in a parameter",
			],
		)
		_, problems = parameters.fit(
			NAMED, {("Body", "customer"): "A", ("Button", "1"): "x"}, {"document": "d", "details": "d"}
		)
		self.assertEqual(
			problems, ["the template: the template's header is a document: attach the file to send with it"]
		)


if __name__ == "__main__":
	unittest.main()
