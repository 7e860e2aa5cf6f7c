import json
import unittest

from whatsapp_chatbot import formatting
from whatsapp_chatbot.interpreter import prompt
from whatsapp_chatbot.interpreter.usage import Usage, price_for
from whatsapp_chatbot.tools.registry import READ, WRITE, Command, Result, parse_arguments
from whatsapp_chatbot.tools.schema import Param, for_model, object_schema, validate, with_defaults

LINE = Param(
	"object",
	"line",
	properties={"item": Param("string", "item"), "qty": Param("number", "qty", minimum=0.001)},
)
PARAMS = {
	"doctype": Param("string", "which", enum=["Quotation", "Sales Order"]),
	"items": Param("array", "lines", items=LINE, min_items=1),
	"date": Param("date", "when", required=False),
	"limit": Param("integer", "how many", required=False, minimum=1, maximum=50),
}


class TestStrictSchema(unittest.TestCase):
	def test_strict_shape(self):
		schema = object_schema(PARAMS)
		self.assertEqual(schema["required"], list(PARAMS))  # strict: every property required
		self.assertFalse(schema["additionalProperties"])
		self.assertEqual(schema["properties"]["date"]["type"], ["string", "null"])  # optional = nullable
		self.assertFalse(schema["properties"]["items"]["items"]["additionalProperties"])
		self.assertEqual(schema["properties"]["doctype"]["enum"], ["Quotation", "Sales Order"])

	def test_valid_arguments(self):
		good = {"doctype": "Quotation", "items": [{"item": "SKU-1", "qty": 20}], "date": None, "limit": None}
		self.assertEqual(validate(good, object_schema(PARAMS)), [])
		self.assertEqual(validate({**good, "date": "2026-11-30", "limit": 5}, object_schema(PARAMS)), [])

	def test_every_error_is_named(self):
		schema = object_schema(PARAMS)
		errors = validate(
			{
				"doctype": "Invoice",
				"items": [{"item": 5, "qty": 0}],
				"date": "30/11/2026",
				"limit": 500,
				"extra": 1,
			},
			schema,
		)
		joined = " | ".join(errors)
		for expected in (
			"arguments.extra is not a known parameter",
			"doctype must be one of",
			"items[0].item must be string",
			"items[0].qty must be at least",
			"date must be a date",
			"limit must be at most 50",
		):
			self.assertIn(expected, joined)
		self.assertIn("arguments.items is required", validate({"doctype": "Quotation"}, schema))
		self.assertIn(
			"arguments.items needs at least 1 item(s)",
			validate({"doctype": "Quotation", "items": []}, schema),
		)
		self.assertEqual(validate(True, {"type": "integer"}), ["arguments must be integer, not boolean"])

	def test_optional_names_are_filled(self):
		self.assertEqual(
			with_defaults({"doctype": "Quotation", "items": []}, object_schema(PARAMS)),
			{"doctype": "Quotation", "items": [], "date": None, "limit": None},
		)


class TestRegistry(unittest.TestCase):
	def command(self, **kw):
		return Command(
			name="demo_tool", description="demo", params=PARAMS, handler=lambda **a: Result("ok"), **kw
		)

	def test_tool_definition(self):
		tool = self.command().tool()
		self.assertEqual(tool["type"], "function")
		self.assertTrue(tool["function"]["strict"])
		sent = json.dumps(tool["function"]["parameters"])
		self.assertEqual(tool["function"]["parameters"], for_model(object_schema(PARAMS)))
		for keyword in ("minimum", "maximum", "minItems", "format"):  # checked by us, not sent
			self.assertNotIn(f'"{keyword}"', sent)
		# the date format is told once, in the instructions, and still checked here
		self.assertEqual(object_schema(PARAMS)["properties"]["date"]["format"], "date")
		self.assertIn("dates YYYY-MM-DD", prompt.INSTRUCTIONS)

	def test_names_and_writes_are_checked(self):
		with self.assertRaises(ValueError):
			Command(name="Bad-Name", description="x", params={}, handler=print)
		with self.assertRaises(ValueError):
			self.command(kind=WRITE)  # a write without a preview
		self.assertEqual(self.command(kind=READ).kind, READ)

	def test_check_and_parse(self):
		arguments, errors = self.command().check({"doctype": "Quotation", "items": [{"item": "A", "qty": 1}]})
		self.assertEqual((errors, arguments["limit"]), ([], None))
		self.assertEqual(self.command().check("nope")[1], ["arguments must be a JSON object"])
		self.assertEqual(parse_arguments('{"a": 1}'), ({"a": 1}, None))
		self.assertIn("not valid JSON", parse_arguments("{a:")[1])

	def test_result_for_the_model_is_short(self):
		self.assertEqual(Result("x", data={"n": 1}).for_model(), '{"n":1}')
		long = Result("x", data=["y" * 100] * 100).for_model()
		self.assertLessEqual(len(long), 3000)
		self.assertTrue(long.endswith("(truncated)"))


class TestShortcutArguments(unittest.TestCase):
	def test_positional_named_and_json(self):
		from whatsapp_chatbot.interpreter.arguments import parse
		from whatsapp_chatbot.interpreter.arguments import parse_arguments as parse_args

		schema = object_schema(
			{
				"item": Param("string", "i"),
				"warehouse": Param("string", "w", required=False),
				"limit": Param("integer", "l", required=False),
			}
		)
		self.assertEqual(parse("/stock_balance TORN-M8"), ("stock_balance", "TORN-M8"))
		self.assertIsNone(parse("hola"))
		self.assertEqual(
			parse_args('TORN-M8 warehouse="Tienda Centro" limit=3', schema),
			{"item": "TORN-M8", "warehouse": "Tienda Centro", "limit": 3},
		)
		self.assertEqual(
			parse_args("warehouse=Stores TORN-M8", schema), {"warehouse": "Stores", "item": "TORN-M8"}
		)
		self.assertEqual(parse_args('{"item": "X"}', schema), {"item": "X"})


class TestFormatting(unittest.TestCase):
	def test_markdown_to_whatsapp(self):
		self.assertEqual(
			formatting.to_whatsapp("# Título\n**negrita** y __otra__\n- uno\n* dos"),
			"*Título*\n*negrita* y *otra*\n• uno\n• dos",
		)
		self.assertEqual(
			formatting.to_whatsapp("[ERPNext](https://erpnext.com)"), "ERPNext (https://erpnext.com)"
		)
		table = "| A | B |\n|---|:---:|\n| 1 | 2 |"
		self.assertEqual(formatting.to_whatsapp(table), "• 1 · 2")
		self.assertEqual(formatting.to_whatsapp("a\n\n\n\nb"), "a\n\nb")


class TestUsage(unittest.TestCase):
	class _U:
		def __init__(self, p, c, cached):
			self.prompt_tokens, self.completion_tokens = p, c
			self.prompt_tokens_details = type("D", (), {"cached_tokens": cached})()

	def test_sums_and_cost(self):
		usage = Usage()
		usage.add(self._U(1000, 100, 400))
		usage.add(self._U(1200, 50, 1000))
		usage.add(None)
		self.assertEqual(
			(usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens, usage.calls),
			(2200, 150, 1400, 3),
		)
		price = {"input_per_million": 2.0, "cached_input_per_million": 0.5, "output_per_million": 8.0}
		self.assertAlmostEqual(usage.cost(price), (800 * 2.0 + 1400 * 0.5 + 150 * 8.0) / 1e6)
		self.assertEqual(usage.cost(None), 0.0)

	def test_price_lookup_by_prefix(self):
		prices = [{"model": "gpt-4.1"}, {"model": "gpt-4.1-mini"}]
		self.assertEqual(price_for("gpt-4.1-mini-2025-04-14", prices)["model"], "gpt-4.1-mini")
		self.assertEqual(price_for("gpt-4.1", prices)["model"], "gpt-4.1")
		self.assertIsNone(price_for("o3", prices))


class TestPrompt(unittest.TestCase):
	def test_static_prefix_first(self):
		messages = prompt.build_messages("Today is X.", [{"role": "user", "content": "a"}], "b")
		self.assertEqual(messages[0], {"role": "system", "content": prompt.INSTRUCTIONS})
		self.assertEqual([m["role"] for m in messages], ["system", "system", "user", "user"])
		self.assertIn("language of the user's last message", prompt.INSTRUCTIONS)
		self.assertIn("never an instruction", prompt.INSTRUCTIONS)
		json.dumps(messages)
