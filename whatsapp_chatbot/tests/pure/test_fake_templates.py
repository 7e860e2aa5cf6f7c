"""Meta's side of templates in the Graph stand-in, over HTTP: what a test relies on it to do as Meta does."""

import unittest

import requests

from whatsapp_chatbot.tests.fake_graph import FakeGraph
from whatsapp_chatbot.tests.fake_template_samples import sample_set

WABA = "2000000000001"
LIST_WABA = "2000000000002"  # only the sample set: other tests add to WABA
AUTH = {"Authorization": "Bearer tok"}


def body_of(*values: str) -> list:
	return [{"type": "body", "parameters": [{"type": "text", "text": v} for v in values]}]


def named(**values: str) -> dict:
	return {
		"type": "body",
		"parameters": [{"type": "text", "text": t, "parameter_name": n} for n, t in values.items()],
	}


def button(sub_type: str, index: int, value: str) -> dict:
	parameter = (
		{"type": "payload", "payload": value}
		if sub_type == "quick_reply"
		else {"type": "text", "text": value}
	)
	return {"type": "button", "sub_type": sub_type, "index": str(index), "parameters": [parameter]}


class TestFakeTemplates(unittest.TestCase):
	@classmethod
	def setUpClass(cls):
		cls.graph = FakeGraph(access_token="tok").start()
		for template in sample_set():
			cls.graph.templates.add_template(WABA, **template)
			cls.graph.templates.add_template(LIST_WABA, **template)

	@classmethod
	def tearDownClass(cls):
		cls.graph.stop()

	def url(self, path: str) -> str:
		return f"{self.graph.base_url}/v25.0/{path}"

	def send(self, name: str, language: str, components=None) -> requests.Response:
		template = {"name": name, "language": {"code": language}}
		if components is not None:
			template["components"] = components
		body = {"messaging_product": "whatsapp", "to": "34600", "type": "template", "template": template}
		return requests.post(self.url("5550001/messages"), json=body, headers=AUTH, timeout=5)

	def assertRejected(self, response, code: int, status: int = 400):
		self.assertEqual(response.status_code, status, response.text)
		self.assertEqual(response.json()["error"]["code"], code, response.text)
		return response.json()["error"]

	# -- listing ---------------------------------------------------------------------------

	def test_pages_follow_next_to_the_end(self):
		url, pages, names = self.url(f"{LIST_WABA}/message_templates"), 0, []
		while url:
			answer = requests.get(url, headers=AUTH, timeout=5).json()
			pages += 1
			names += [(t["name"], t["language"]) for t in answer["data"]]
			self.assertIn("cursors", answer["paging"])
			url = answer["paging"].get("next")
			if url:
				self.assertTrue(url.startswith(self.graph.base_url))
		self.assertEqual(pages, 3)
		self.assertEqual(len(names), 6)
		self.assertEqual(len(set(names)), 6)

	def test_fields_and_quality_only_when_asked(self):
		answer = requests.get(self.url(f"{WABA}/message_templates?limit=10"), headers=AUTH, timeout=5).json()
		self.assertNotIn("quality_score", answer["data"][0])
		self.assertNotIn("next", answer["paging"])
		answer = requests.get(
			self.url(f"{WABA}/message_templates?fields=name,quality_score&limit=1"), headers=AUTH, timeout=5
		).json()
		self.assertEqual(set(answer["data"][0]), {"name", "quality_score", "id"})
		self.assertEqual(answer["data"][0]["quality_score"]["score"], "GREEN")
		self.assertIn("fields=name%2Cquality_score", answer["paging"]["next"])

	def test_unknown_waba(self):
		response = requests.get(self.url("999/message_templates"), headers=AUTH, timeout=5)
		self.assertRejected(response, 100)

	# -- creating --------------------------------------------------------------------------

	def create(self, body: dict) -> requests.Response:
		return requests.post(self.url(f"{WABA}/message_templates"), json=body, headers=AUTH, timeout=5)

	def test_create_then_duplicate_is_metas_error(self):
		body = {
			"name": "t_created",
			"language": "es",
			"category": "UTILITY",
			"parameter_format": "NAMED",
			"components": [
				{
					"type": "BODY",
					"text": "El informe {{report}} está listo.",
					"example": {"body_text_named_params": [{"param_name": "report", "example": "Ventas"}]},
				}
			],
		}
		answer = self.create(body)
		self.assertEqual(answer.status_code, 200, answer.text)
		self.assertEqual(answer.json()["status"], "PENDING")
		self.assertEqual(self.graph.templates.get("t_created", "es")["parameter_format"], "NAMED")
		error = self.assertRejected(self.create(body), 100)
		self.assertEqual(error["error_subcode"], 2388024)
		self.assertEqual(error["error_user_title"], "Content in this language already exists")
		self.assertEqual(self.create({**body, "language": "en"}).status_code, 200)

	def test_creation_rules(self):
		good = {
			"name": "t_rules",
			"language": "en",
			"category": "UTILITY",
			"components": [
				{"type": "BODY", "text": "Report {{1}} is ready.", "example": {"body_text": [["Sales"]]}}
			],
		}
		body = good["components"][0]
		for broken in (
			{**good, "name": "Bad Name"},
			{**good, "category": "OTHER"},
			{**good, "components": [{**body, "text": "{{1}} is ready."}]},
			{**good, "components": [{**body, "text": "Ready: {{1}}"}]},
			{**good, "components": [{**body, "example": {}}]},
			{**good, "components": [{**body, "text": "x" * 1025}]},
			{**good, "components": [body, {"type": "HEADER", "format": "DOCUMENT"}]},
			{
				**good,
				"components": [
					body,
					{"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "y" * 26}]},
				],
			},
		):
			self.assertRejected(self.create(broken), 100)
		self.assertEqual(self.create(good).status_code, 200)

	def test_document_header_needs_a_resumable_upload_handle(self):
		app = requests.get(self.url("app"), headers=AUTH, timeout=5).json()["id"]
		session = requests.post(
			self.url(f"{app}/uploads?file_length=8&file_type=application/pdf"), headers=AUTH, timeout=5
		).json()["id"]
		handle = requests.post(
			self.url(session),
			data=b"%PDF-1.4",
			headers={"Authorization": "OAuth tok", "file_offset": "0"},
			timeout=5,
		).json()["h"]
		answer = self.create(
			{
				"name": "t_with_doc",
				"language": "es",
				"category": "UTILITY",
				"components": [
					{"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": [handle]}},
					{
						"type": "BODY",
						"text": "Adjunto el documento {{1}}.",
						"example": {"body_text": [["X"]]},
					},
				],
			}
		)
		self.assertEqual(answer.status_code, 200, answer.text)

	# -- sending ---------------------------------------------------------------------------

	def test_positional_send_and_its_mistakes(self):
		body = body_of
		self.assertEqual(self.send("t_order_ready", "es", body("Ana", "SO-1")).status_code, 200)
		self.assertRejected(self.send("t_order_ready", "es", body("Ana")), 132000)
		self.assertRejected(self.send("t_order_ready", "en", body("Ana", "SO-1")), 132001, 404)
		self.assertRejected(self.send("t_nope", "es"), 132001, 404)
		self.assertRejected(self.send("t_order_ready", "es", body("Ana", "")), 131008)
		for bad in ("a\nb", "a\tb", "a     b"):
			error = self.assertRejected(self.send("t_order_ready", "es", body("Ana", bad)), 132018)
			self.assertIn("new-line/tab", error["error_data"]["details"])
		self.assertEqual(self.send("t_order_ready", "es", body("Ana", "a    b")).status_code, 200)
		named = [{"type": "body", "parameters": [{"type": "text", "text": "x", "parameter_name": "a"}] * 2}]
		self.assertRejected(self.send("t_order_ready", "es", named), 132012)
		self.assertRejected(self.send("t_order_ready", "es", body("Ana", "x" * 1100)), 132005)

	def test_named_document_header_and_quick_replies(self):
		media = requests.post(
			self.url("5550001/media"),
			files={"file": ("f.pdf", b"%PDF-1.4", "application/pdf")},
			data={"messaging_product": "whatsapp"},
			headers=AUTH,
			timeout=5,
		).json()["id"]
		header = {
			"type": "header",
			"parameters": [{"type": "document", "document": {"id": media, "filename": "f.pdf"}}],
		}
		ok = [header, named(invoice="I-1", amount="$5"), button("quick_reply", 0, "paid:I-1")]
		ok.append(button("quick_reply", 1, "no:I-1"))
		self.assertEqual(self.send("t_invoice_named", "en", ok).status_code, 200)
		self.assertRejected(self.send("t_invoice_named", "en", ok[1:]), 132012)
		self.assertRejected(self.send("t_invoice_named", "en", [header, named(invoice="I-1")]), 132000)
		self.assertRejected(
			self.send("t_invoice_named", "en", [header, named(invoice="I", total="$")]), 132012
		)
		positional = {
			"type": "body",
			"parameters": [{"type": "text", "text": "I"}, {"type": "text", "text": "$"}],
		}
		self.assertRejected(self.send("t_invoice_named", "en", [header, positional]), 132012)
		unknown = {"type": "header", "parameters": [{"type": "document", "document": {"id": "nope"}}]}
		self.assertRejected(self.send("t_invoice_named", "en", [unknown, ok[1]]), 131009)
		self.assertRejected(
			self.send("t_invoice_named", "en", [*ok[:2], button("quick_reply", 2, "x")]), 131009
		)
		self.assertRejected(
			self.send("t_invoice_named", "en", [*ok[:2], button("quick_reply", 0, "")]), 131008
		)

	def test_url_buttons(self):
		header = {"type": "header", "parameters": [{"type": "text", "text": "SO-7"}]}
		body = {"type": "body", "parameters": [{"type": "text", "text": "SO-7"}]}

		def url(index, suffix):
			return button("url", index, suffix)

		self.assertEqual(self.send("t_shipped", "en", [header, body, url(0, "SO-7")]).status_code, 200)
		self.assertRejected(self.send("t_shipped", "en", [header, body]), 131008)
		self.assertRejected(self.send("t_shipped", "en", [header, body, url(0, "SO-7"), url(1, "x")]), 131009)
		quick = {
			"type": "button",
			"sub_type": "quick_reply",
			"index": "0",
			"parameters": [{"type": "payload", "payload": "p"}],
		}
		self.assertRejected(self.send("t_shipped", "en", [header, body, quick]), 131009)
		self.assertRejected(self.send("t_shipped", "en", [body, url(0, "SO-7")]), 132000)

	def test_paused_disabled_and_flagged(self):
		self.graph.templates.add_template(WABA, **{**sample_set("_p")[4]})
		name = "t_hello_p"
		self.assertEqual(self.send(name, "en").status_code, 200)
		flagged = self.graph.templates.event(name, "en", "FLAGGED")
		self.assertEqual(self.graph.templates.get(name, "en")["status"], "APPROVED")
		self.assertEqual(flagged["entry"][0]["changes"][0]["value"]["event"], "FLAGGED")
		self.assertEqual(self.send(name, "en").status_code, 200)
		paused = self.graph.templates.event(name, "en", "PAUSED")
		self.assertEqual(paused["entry"][0]["changes"][0]["value"]["other_info"]["title"], "FIRST_PAUSE")
		self.assertRejected(self.send(name, "en"), 132015)
		self.graph.templates.event(name, "en", "APPROVED")
		self.assertEqual(self.send(name, "en").status_code, 200)
		second = self.graph.templates.event(name, "en", "PAUSED")["entry"][0]["changes"][0]["value"]
		self.assertEqual(second["other_info"]["title"], "SECOND_PAUSE")
		self.graph.templates.event(name, "en", "APPROVED")
		third = self.graph.templates.event(name, "en", "PAUSED")["entry"][0]["changes"][0]["value"]
		self.assertEqual(third["event"], "DISABLED")
		self.assertIn("disable_date", third["disable_info"])
		self.assertRejected(self.send(name, "en"), 132016)

	def test_webhook_shapes(self):
		self.graph.templates.add_template(WABA, **{**sample_set("_w")[0]})
		body = self.graph.templates.quality_webhook("t_order_ready_w", "es", "YELLOW")
		self.assertEqual(body["object"], "whatsapp_business_account")
		entry = body["entry"][0]
		self.assertEqual(entry["id"], WABA)
		change = entry["changes"][0]
		self.assertEqual(change["field"], "message_template_quality_update")
		self.assertEqual(
			(change["value"]["previous_quality_score"], change["value"]["new_quality_score"]),
			("GREEN", "YELLOW"),
		)
		category = self.graph.templates.category_webhook("t_order_ready_w", "es", "MARKETING")
		value = category["entry"][0]["changes"][0]["value"]
		self.assertEqual((value["previous_category"], value["new_category"]), ("UTILITY", "MARKETING"))
		self.assertEqual(self.graph.templates.get("t_order_ready_w", "es")["category"], "MARKETING")
		archived = self.graph.templates.event("t_order_ready_w", "es", "ARCHIVED")
		self.assertIsInstance(archived["entry"][0]["changes"][0]["value"]["message_template_id"], int)
		self.graph.templates.event("t_order_ready_w", "es", "UNARCHIVED")
		self.assertEqual(self.graph.templates.get("t_order_ready_w", "es")["status"], "APPROVED")


if __name__ == "__main__":
	unittest.main()
