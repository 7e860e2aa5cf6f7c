"""Template definitions, parameter checks and Graph bodies (channel/template_message)."""

import unittest

from whatsapp_chatbot.channel import template_message as tm

# As Meta lists them (GET /<WABA>/message_templates): a named template with a document header,
# a quick reply and a variable URL; a positional one with a text header and a static URL.
NAMED = [
	{"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["4::aW..."]}},
	{
		"type": "BODY",
		"text": "Hello {{customer}}, order {{order}} is ready.",
		"example": {
			"body_text_named_params": [
				{"param_name": "customer", "example": "Ana"},
				{"param_name": "order", "example": "SO-0001"},
			]
		},
	},
	{"type": "FOOTER", "text": "Test Company"},
	{
		"type": "BUTTONS",
		"buttons": [
			{"type": "QUICK_REPLY", "text": "Show me"},
			{
				"type": "URL",
				"text": "Track",
				"url": "https://shop.example/track/{{1}}",
				"example": ["https://shop.example/track/SO-0001"],
			},
		],
	},
]
POSITIONAL = [
	{"type": "HEADER", "format": "TEXT", "text": "Invoice {{1}}", "example": {"header_text": ["SINV-1"]}},
	{
		"type": "BODY",
		"text": "Dear {{1}}, {{2}} is due on {{3}}.",
		"example": {"body_text": [["Ana", "MXN 100", "1 May"]]},
	},
	{
		"type": "BUTTONS",
		"buttons": [
			{"type": "URL", "text": "Website", "url": "https://example.com"},
			{"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+5215550000000"},
			{"type": "COPY_CODE", "example": "SAVE10"},
		],
	},
]


def named():
	return tm.Definition.from_components(NAMED, "Named")


def positional():
	return tm.Definition.from_components(POSITIONAL, "Positional")


GOOD_NAMED = {"body": {"customer": "Ana", "order": "SO-0042"}, "buttons": {"1": "SO-0042"}}
GOOD_POSITIONAL = {"header": ["SINV-7"], "body": ["Ana", "MXN 250.00", "3 June"], "buttons": {2: "CODE15"}}


class TestDefinition(unittest.TestCase):
	def test_named(self):
		definition = named()
		self.assertTrue(definition.named)
		self.assertEqual(definition.body_params, ("customer", "order"))
		self.assertEqual(definition.media_header, "document")
		self.assertEqual(definition.body_examples, {"customer": "Ana", "order": "SO-0001"})
		quick, url = definition.buttons
		self.assertEqual((quick.index, quick.sub_type, quick.takes_parameter), (0, "quick_reply", True))
		self.assertFalse(quick.needs_parameter)
		self.assertTrue(url.dynamic and url.needs_parameter)
		self.assertEqual(url.example, "SO-0001")

	def test_positional(self):
		definition = positional()
		self.assertFalse(definition.named)
		self.assertEqual(definition.body_params, ("1", "2", "3"))
		self.assertEqual((definition.header_format, definition.header_params), ("text", ("1",)))
		website, call, code = definition.buttons
		self.assertFalse(website.dynamic or website.takes_parameter)
		self.assertFalse(call.takes_parameter)
		self.assertTrue(code.needs_parameter)

	def test_meta_spelling_of_the_format_and_lowercase_types(self):
		components = [{"type": "body", "text": "Hi {{name}}"}]
		self.assertTrue(tm.Definition.from_components(components, "NAMED").named)
		self.assertEqual(tm.Definition.from_components(components, "NAMED").body_params, ("name",))
		# in a positional template a {{name}} is not a variable Meta fills
		self.assertEqual(tm.Definition.from_components(components, "POSITIONAL").body_params, ())

	def test_positional_variables_in_number_order(self):
		definition = tm.Definition.from_components([{"type": "BODY", "text": "{{2}} then {{1}} and {{10}}"}])
		self.assertEqual(definition.body_params, ("1", "2", "10"))

	def test_summary(self):
		summary = named().summary()
		self.assertIn("Header: document", summary)
		self.assertIn("Body: 2 named parameters ({{customer}}, {{order}})", summary)
		self.assertIn("Button 0 “Show me” (quick reply): payload, optional", summary)
		self.assertIn(
			"Button 1 “Track” (url): URL suffix after https://shop.example/track/, required", summary
		)
		summary = positional().summary()
		self.assertIn("Header: text, 1 positional parameter ({{1}})", summary)
		self.assertIn("Button 1 “Call” (phone number): no parameter", summary)

	def test_unsupported_components_are_named(self):
		definition = tm.Definition.from_components([{"type": "BODY", "text": "x"}, {"type": "CAROUSEL"}])
		self.assertIn("Component carousel: not supported", definition.summary())
		self.assertIn(
			"the template has a carousel component, which this app cannot fill", tm.check(definition, {})
		)


class TestCheck(unittest.TestCase):
	def test_good_parameters_pass(self):
		self.assertEqual(tm.check(named(), GOOD_NAMED, header_media=True), [])
		self.assertEqual(tm.check(positional(), GOOD_POSITIONAL), [])

	def test_positional_count(self):
		problems = tm.check(positional(), {**GOOD_POSITIONAL, "body": ["Ana", "MXN 1"]})
		self.assertEqual(problems, ["the body takes 3 parameters, 2 were given"])
		problems = tm.check(positional(), {**GOOD_POSITIONAL, "body": {"1": "Ana"}})
		self.assertEqual(problems, ["the body takes 3 positional parameters: give them as a list"])

	def test_named_missing_and_unknown(self):
		problems = tm.check(
			named(), {**GOOD_NAMED, "body": {"customer": "Ana", "ordr": "SO-1"}}, header_media=True
		)
		self.assertEqual(
			problems,
			[
				"the body is missing parameter {{order}}",
				"the body has no parameter {{ordr}} (it takes {{customer}}, {{order}})",
			],
		)
		problems = tm.check(named(), {**GOOD_NAMED, "body": ["Ana", "SO-1"]}, header_media=True)
		self.assertIn("give them as {name: value}", problems[0])

	def test_empty_and_blank_values(self):
		for value in ("", "   ", None):
			with self.subTest(value=value):
				problems = tm.check(positional(), {**GOOD_POSITIONAL, "body": ["Ana", value, "3 June"]})
				self.assertEqual(len(problems), 1)
				self.assertIn("body parameter {{2}}", problems[0])
				self.assertTrue("empty" in problems[0] or "must be text" in problems[0])

	def test_newline_tab_and_five_spaces(self):
		for value, word in (("a\nb", "line break"), ("a\tb", "tab"), ("a     b", "four spaces")):
			with self.subTest(value=value):
				problems = tm.check(
					named(), {**GOOD_NAMED, "body": {"customer": value, "order": "x"}}, header_media=True
				)
				self.assertEqual(len(problems), 1)
				self.assertIn("{{customer}}", problems[0])
				self.assertIn(word, problems[0])
		# four spaces in a row are allowed
		self.assertEqual(
			tm.check(
				named(), {**GOOD_NAMED, "body": {"customer": "a    b", "order": "x"}}, header_media=True
			),
			[],
		)

	def test_body_length(self):
		long = "x" * (tm.BODY_PARAM_LIMIT + 1)
		problems = tm.check(
			named(), {**GOOD_NAMED, "body": {"customer": long, "order": "x"}}, header_media=True
		)
		self.assertEqual(problems, ["body parameter {{customer}} is 1025 characters, the limit is 1024"])
		# a body alone may carry much longer parameters
		alone = tm.Definition.from_components([{"type": "BODY", "text": "{{1}}"}])
		self.assertEqual(tm.check(alone, {"body": [long]}), [])
		self.assertEqual(len(tm.check(alone, {"body": ["x" * (tm.BODY_ONLY_PARAM_LIMIT + 1)]})), 1)

	def test_header_text(self):
		# "Invoice " takes 8 of the header's 60 characters
		self.assertEqual(tm.check(positional(), {**GOOD_POSITIONAL, "header": ["x" * 52]}), [])
		problems = tm.check(positional(), {**GOOD_POSITIONAL, "header": ["x" * 53]})
		self.assertEqual(problems, ["header parameter {{1}} is 53 characters, the limit is 52"])
		self.assertEqual(tm.check(positional(), {**GOOD_POSITIONAL, "header": "SINV-9"}), [])
		problems = tm.check(positional(), {**GOOD_POSITIONAL, "header": []})
		self.assertEqual(problems, ["the header takes 1 parameters, 0 were given"])

	def test_document_header_needs_a_file_and_no_text(self):
		problems = tm.check(named(), GOOD_NAMED)
		self.assertEqual(problems, ["the template's header is a document: attach the file to send with it"])
		problems = tm.check(named(), {**GOOD_NAMED, "header": ["x"]}, header_media=True)
		self.assertEqual(problems, ["the template has document header: it takes no header text parameter"])

	def test_static_buttons_take_no_parameter(self):
		problems = tm.check(positional(), {**GOOD_POSITIONAL, "buttons": {0: "/x", 1: "1", 2: "CODE"}})
		self.assertEqual(
			problems,
			[
				"button 0 “Website” is static: it takes no parameter",
				"button 1 “Call” is static: it takes no parameter",
			],
		)
		self.assertEqual(
			tm.check(positional(), {**GOOD_POSITIONAL, "buttons": {7: "x", 2: "C"}}),
			["the template has no button 7 (it has 3)"],
		)

	def test_required_buttons(self):
		problems = tm.check(named(), {**GOOD_NAMED, "buttons": {}}, header_media=True)
		self.assertEqual(problems, ["button 1 “Track” needs its URL suffix"])
		problems = tm.check(positional(), {**GOOD_POSITIONAL, "buttons": {}})
		self.assertEqual(problems, ["button 2 “” needs its code to copy"])

	def test_button_lengths(self):
		payload = "p" * (tm.PAYLOAD_LIMIT + 1)
		problems = tm.check(named(), {**GOOD_NAMED, "buttons": {0: payload, 1: "a"}}, header_media=True)
		self.assertEqual(problems, ["button 0 payload is 257 characters, the limit is 256"])
		self.assertEqual(
			tm.check(named(), {**GOOD_NAMED, "buttons": {0: "", 1: "a"}}, header_media=True),
			["button 0 payload is empty"],
		)
		prefix = len("https://shop.example/track/")
		problems = tm.check(
			named(), {**GOOD_NAMED, "buttons": {1: "s" * (tm.URL_LIMIT - prefix + 1)}}, header_media=True
		)
		self.assertEqual(len(problems), 1)
		self.assertIn("URL suffix", problems[0])
		problems = tm.check(positional(), {**GOOD_POSITIONAL, "buttons": {2: "SAVE-10"}})
		self.assertEqual(problems, ["button 2 code must be letters and digits only"])
		problems = tm.check(positional(), {**GOOD_POSITIONAL, "buttons": {2: "C" * 16}})
		self.assertEqual(problems, ["button 2 code is 16 characters, the limit is 15"])

	def test_unknown_parts_and_not_a_dict(self):
		self.assertEqual(
			tm.check(named(), ["x"]), ["the parameters must be an object with body, header and buttons"]
		)
		problems = tm.check(named(), {**GOOD_NAMED, "bodyy": {}}, header_media=True)
		self.assertEqual(problems, ["unknown parameter parts: bodyy (use body, header and buttons)"])

	def test_no_parameters_for_a_template_without_variables(self):
		plain = tm.Definition.from_components([{"type": "BODY", "text": "Hello"}])
		self.assertEqual(tm.check(plain, None), [])
		self.assertEqual(
			tm.check(plain, {"body": ["x"]}), ["the template's body takes no parameters, but some were given"]
		)


class TestBuild(unittest.TestCase):
	def test_named_with_document_header(self):
		body = tm.build("order_ready", "es", named(), GOOD_NAMED, header_filename="SO-0042.pdf")
		self.assertEqual(body["type"], "template")
		template = body["template"]
		self.assertEqual((template["name"], template["language"]), ("order_ready", {"code": "es"}))
		header, text, url = template["components"]
		self.assertEqual(
			header,
			{"type": "header", "parameters": [{"type": "document", "document": {"filename": "SO-0042.pdf"}}]},
		)
		self.assertEqual(
			text["parameters"],
			[
				{"type": "text", "text": "Ana", "parameter_name": "customer"},
				{"type": "text", "text": "SO-0042", "parameter_name": "order"},
			],
		)
		self.assertEqual(
			url,
			{
				"type": "button",
				"sub_type": "url",
				"index": "1",
				"parameters": [{"type": "text", "text": "SO-0042"}],
			},
		)
		self.assertEqual(tm.header_media(body)[0], "document")
		self.assertTrue(tm.set_header_media(body, "MEDIA-1"))
		self.assertEqual(header["parameters"][0]["document"], {"filename": "SO-0042.pdf", "id": "MEDIA-1"})

	def test_positional_with_quick_reply_and_coupon(self):
		definition = tm.Definition.from_components(
			[
				*POSITIONAL[:2],
				{
					"type": "BUTTONS",
					"buttons": [{"type": "QUICK_REPLY", "text": "OK"}, {"type": "COPY_CODE"}],
				},
			],
			"Positional",
		)
		body = tm.build("due", "en", definition, {**GOOD_POSITIONAL, "buttons": {"0": "ack:1", "1": "CODE1"}})
		header, text, quick, code = body["template"]["components"]
		self.assertEqual(header["parameters"], [{"type": "text", "text": "SINV-7"}])
		self.assertEqual([p["text"] for p in text["parameters"]], ["Ana", "MXN 250.00", "3 June"])
		self.assertNotIn("parameter_name", text["parameters"][0])
		self.assertEqual(
			quick,
			{
				"type": "button",
				"sub_type": "quick_reply",
				"index": "0",
				"parameters": [{"type": "payload", "payload": "ack:1"}],
			},
		)
		self.assertEqual(code["parameters"], [{"type": "coupon_code", "coupon_code": "CODE1"}])
		self.assertIsNone(tm.header_media(body))
		self.assertFalse(tm.set_header_media(body, "x"))

	def test_build_refuses_what_check_refuses(self):
		with self.assertRaises(tm.TemplateParamsError) as caught:
			tm.build("due", "en", positional(), {"body": ["a"]})
		self.assertIn("the body takes 3 parameters, 1 were given", caught.exception.problems)

	def test_template_without_parameters(self):
		plain = tm.Definition.from_components([{"type": "BODY", "text": "Hello"}])
		self.assertEqual(
			tm.build("hello", "en", plain),
			{"type": "template", "template": {"name": "hello", "language": {"code": "en"}}},
		)


class TestPreview(unittest.TestCase):
	def test_examples_fill_what_is_not_given(self):
		shown = tm.preview(named())
		self.assertEqual(shown["header"], "[document]")
		self.assertEqual(shown["body"], "Hello Ana, order SO-0001 is ready.")
		self.assertEqual(shown["footer"], "Test Company")
		self.assertEqual(shown["buttons"], ["Show me", "Track (https://shop.example/track/SO-0001)"])

	def test_given_parameters(self):
		shown = tm.preview(positional(), GOOD_POSITIONAL)
		self.assertEqual(shown["header"], "Invoice SINV-7")
		self.assertEqual(shown["body"], "Dear Ana, MXN 250.00 is due on 3 June.")
		shown = tm.preview(named(), {"body": {"order": "SO-9"}})
		self.assertEqual(shown["body"], "Hello Ana, order SO-9 is ready.")

	def test_without_examples_the_variable_stays(self):
		definition = tm.Definition.from_components([{"type": "BODY", "text": "Hi {{1}}"}])
		self.assertEqual(tm.preview(definition)["body"], "Hi {{1}}")

	def test_preview_text(self):
		text = tm.preview_text(positional(), GOOD_POSITIONAL)
		self.assertEqual(text.splitlines()[0], "Invoice SINV-7")
		self.assertIn("[Website] | [Call] | [copy_code]", text)


if __name__ == "__main__":
	unittest.main()
