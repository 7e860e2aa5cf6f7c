"""Templates without a site: Meta's template webhooks parsed, what each event means for the stored
status, the app's own templates against Meta's review rules, and the Graph client listing pages."""

import json
import unittest

import requests

from whatsapp_chatbot.channel import payload, template_events
from whatsapp_chatbot.channel.errors import GraphError
from whatsapp_chatbot.channel.graph import GraphClient
from whatsapp_chatbot.message_templates import lifecycle, standard
from whatsapp_chatbot.tests.fake_graph import FakeGraph
from whatsapp_chatbot.tests.fake_template_samples import sample_set
from whatsapp_chatbot.tests.fake_templates import TemplateStore

WABA = "3000000000001"


def store_with() -> TemplateStore:
	store = TemplateStore(lambda: "http://127.0.0.1:1")
	for template in sample_set():
		store.add_template(WABA, **template)
	return store


class TestParsing(unittest.TestCase):
	def setUp(self):
		self.store = store_with()

	def test_status_update(self):
		body = self.store.event("t_order_ready", "es", "PAUSED")
		parsed = payload.parse_webhook(json.dumps(body).encode())
		self.assertEqual((parsed.messages, parsed.ignored_fields, parsed.errors), ([], [], []))
		(event,) = parsed.template_events
		self.assertEqual(
			(event.kind, event.event, event.name, event.language),
			(template_events.STATUS, "PAUSED", "t_order_ready", "es"),
		)
		self.assertEqual(event.business_account_id, WABA)
		self.assertEqual(event.other_title, "FIRST_PAUSE")
		self.assertEqual(event.template_id, self.store.get("t_order_ready", "es")["id"])
		self.assertIsNone(event.reason)  # Meta's "NONE"

	def test_rejected_with_rejection_info(self):
		body = self.store.event(
			"t_hello",
			"en",
			"REJECTED",
			reason="INVALID_FORMAT",
			rejection_info={"reason": "Variables side by side", "recommendation": "Separate them"},
		)
		(event,) = payload.parse_webhook(body).template_events
		self.assertEqual((event.reason, event.rejection_reason), ("INVALID_FORMAT", "Variables side by side"))
		outcome = lifecycle.outcome(event, "PENDING")
		self.assertEqual(outcome.status, "REJECTED")
		self.assertIn("Separate them", outcome.reason)

	def test_quality_and_category(self):
		quality = payload.parse_webhook(
			self.store.quality_webhook("t_hello", "es", "YELLOW")
		).template_events[0]
		self.assertEqual((quality.event, quality.previous, quality.new), ("QUALITY", "GREEN", "YELLOW"))
		category = payload.parse_webhook(
			self.store.category_webhook("t_hello", "es", "MARKETING")
		).template_events[0]
		self.assertEqual(
			(category.previous, category.new, category.correct_category), ("UTILITY", "MARKETING", None)
		)
		announced = self.store.category_webhook("t_hello", "en", "UTILITY", correct="MARKETING")
		event = payload.parse_webhook(announced).template_events[0]
		self.assertEqual(event.correct_category, "MARKETING")
		self.assertIsNone(lifecycle.outcome(event, "APPROVED").category)  # not yet: in 24 hours

	def test_redelivery_has_the_same_key_and_another_change_another(self):
		body = self.store.event("t_hello", "es", "FLAGGED", at=1_700_000_000)
		first = payload.parse_webhook(json.dumps(body)).template_events[0]
		again = payload.parse_webhook(json.dumps(body)).template_events[0]
		self.assertEqual(first.key, again.key)
		later = payload.parse_webhook(
			self.store.event("t_hello", "es", "FLAGGED", at=1_700_000_060)
		).template_events[0]
		self.assertNotEqual(first.key, later.key)
		quality = payload.parse_webhook(self.store.quality_webhook("t_hello", "es", "RED", at=1_700_000_000))
		self.assertNotEqual(first.key, quality.template_events[0].key)

	def test_an_unreadable_change_is_an_error_and_the_rest_is_kept(self):
		body = self.store.event("t_hello", "es", "APPROVED")
		body["entry"][0]["changes"].append({"field": template_events.STATUS, "value": {"event": "PAUSED"}})
		body["entry"][0]["changes"].append({"field": "message_template_components_update", "value": {}})
		parsed = payload.parse_webhook(body)
		self.assertEqual(len(parsed.template_events), 1)
		self.assertEqual(len(parsed.errors), 1)
		self.assertEqual(parsed.ignored_fields, ["message_template_components_update"])


class TestLifecycle(unittest.TestCase):
	def setUp(self):
		self.store = store_with()

	def outcome(self, event_name, status, **kwargs):
		body = self.store.event("t_hello", "en", event_name)
		event = payload.parse_webhook(body).template_events[0]
		return lifecycle.outcome(event, status, **kwargs)

	def test_flagged_keeps_approved(self):
		result = self.outcome("FLAGGED", "APPROVED")
		self.assertIsNone(result.status)
		self.assertTrue(result.flagged)
		self.assertIn("disabled on", result.reason)

	def test_paused_then_reinstated(self):
		paused = self.outcome("PAUSED", "APPROVED")
		self.assertEqual((paused.status, paused.stops_sending), ("PAUSED", True))
		self.assertIn("3 hours", paused.reason)
		for back in ("REINSTATED", "UNPAUSED", "APPROVED"):
			result = self.outcome(back, "PAUSED")
			self.assertEqual((result.status, result.flagged), ("APPROVED", False))

	def test_disabled_archived_unknown(self):
		self.assertEqual(self.outcome("DISABLED", "PAUSED").status, "DISABLED")
		self.assertTrue(self.outcome("DISABLED", "PAUSED").stops_sending)
		self.assertEqual(self.outcome("ARCHIVED", "APPROVED").status, "ARCHIVED")
		restored = self.outcome("UNARCHIVED", "ARCHIVED", status_before={"ARCHIVED": "PAUSED"})
		self.assertEqual(restored.status, "PAUSED")
		self.assertIsNone(self.outcome("UNARCHIVED", "ARCHIVED").status)  # before unknown
		unknown = self.outcome("SOMETHING_NEW", "APPROVED")
		self.assertEqual((unknown.status, unknown.flagged, unknown.reason), (None, None, None))

	def test_an_older_event_changes_nothing(self):
		body = self.store.event("t_hello", "en", "PAUSED", at=100)
		event = payload.parse_webhook(body).template_events[0]
		result = lifecycle.outcome(event, "APPROVED", last_change_time=200)
		self.assertIsNone(result.status)
		self.assertIn("older", result.detail)

	def test_listed_status(self):
		self.assertEqual(lifecycle.listed_status("FLAGGED"), ("APPROVED", True))
		self.assertEqual(lifecycle.listed_status("paused"), ("PAUSED", None))
		self.assertEqual(lifecycle.listed_status("NEW_WORD"), (None, None))


class TestAppTemplates(unittest.TestCase):
	def test_every_app_template_passes_metas_rules(self):
		bodies = standard.definitions()
		self.assertEqual(
			{(b["name"], b["language"]) for b in bodies},
			{(n, lang) for n in standard.TEMPLATES for lang in ("es", "en")},
		)
		graph = TemplateStore(lambda: "")
		graph.handles["4::x"] = (standard.SAMPLE_PDF, "application/pdf")
		for body in bodies:
			self.assertEqual(standard.problems(body), [], body["name"])
			# the stand-in's creation rules (Meta's, as far as it checks them) take it too
			self.assertIsNone(graph.creation_problem(standard.create_body(body, "4::x")), body["name"])
			self.assertEqual(body["category"], "UTILITY")

	def test_the_rules_see_a_broken_body(self):
		body = standard.definition(standard.REPORT_READY, "en")
		body["components"][0]["text"] = "{{report}} is ready, tap below."
		self.assertIn("the body must not start or end with a variable", standard.problems(body))
		body["components"][0]["text"] = "Ready: {{report}}."
		self.assertIn("the body must not start or end with a variable", standard.problems(body))
		body["components"][0]["text"] = "Hi {{report}} ok"
		self.assertTrue(any("more words" in p for p in standard.problems(body)))
		body["components"][1]["buttons"][0]["text"] = "x" * 26
		self.assertTrue(any("button text" in p for p in standard.problems(body)))

	def test_the_sample_pdf_is_a_readable_pdf(self):
		pdfium = __import__("pypdfium2")  # Frappe's File check reads it with pypdf: it must be whole
		document = pdfium.PdfDocument(standard.SAMPLE_PDF)
		self.assertEqual(len(document), 1)
		self.assertIn("Sample document", document[0].get_textpage().get_text_range())

	def test_approval_request_has_what_the_approvals_need(self):
		body = standard.definition(standard.APPROVAL_REQUEST, "es")
		kinds = [c["type"] for c in body["components"]]
		self.assertEqual(kinds, ["HEADER", "BODY", "BUTTONS"])
		self.assertEqual(body["components"][0]["format"], "DOCUMENT")
		self.assertEqual(
			standard.variables(body["components"][1]["text"]),
			["doctype", "name", "party", "amount", "requested_by"],
		)
		self.assertEqual([b["text"] for b in body["components"][2]["buttons"]], ["Aprobar", "Rechazar"])


class _Canned(requests.adapters.BaseAdapter):
	"""Answers each GET with the next canned page (the client's loop guards, without a server)."""

	def __init__(self, pages):
		super().__init__()
		self.pages = list(pages)
		self.urls = []

	def send(self, request, **kwargs):
		self.urls.append(request.url)
		response = requests.Response()
		response.status_code = 200
		response._content = json.dumps(self.pages.pop(0)).encode()
		response.url = request.url
		return response

	def close(self):
		pass


class TestListTemplates(unittest.TestCase):
	def client(self, pages, base="http://graph.test"):
		session = requests.Session()
		adapter = _Canned(pages)
		session.mount("http://", adapter)
		return GraphClient("1", "tok", base_url=base, session=session), adapter

	def test_follows_next_to_the_end_against_the_stand_in(self):
		with FakeGraph(access_token="tok") as graph:
			for template in sample_set():
				graph.templates.add_template(WABA, **template)
			client = GraphClient("1", "tok", base_url=graph.base_url)
			listed = list(client.list_templates(WABA, limit=2))
			pages = [r for r in graph.requests if "message_templates" in r.path]
		self.assertEqual(len(pages), 3)
		self.assertEqual(len(listed), 6)
		self.assertIn("quality_score", listed[0])

	def test_refuses_a_next_page_elsewhere_and_drops_the_token(self):
		page = {
			"data": [{"name": "a"}],
			"paging": {"next": "http://evil.test/v25.0/1/message_templates?after=x"},
		}
		client, _ = self.client([page])
		with self.assertRaises(GraphError) as raised:
			list(client.list_templates(WABA))
		self.assertIn("not followed", str(raised.exception))
		page = {
			"data": [{"name": "a"}],
			"paging": {"next": "http://graph.test/v25.0/1/message_templates?after=x&access_token=SECRET"},
		}
		client, adapter = self.client([page, {"data": [{"name": "b"}]}])
		self.assertEqual([t["name"] for t in client.list_templates(WABA)], ["a", "b"])
		self.assertNotIn("SECRET", adapter.urls[1])

	def test_a_loop_or_an_endless_list_stops(self):
		same = {
			"data": [{"name": "a"}],
			"paging": {"next": "http://graph.test/v25.0/1/message_templates?after=A"},
		}
		client, _ = self.client([same, same, same])
		with self.assertRaises(GraphError):
			list(client.list_templates(WABA))
		pages = [
			{
				"data": [{"name": str(i)}],
				"paging": {"next": f"http://graph.test/v25.0/1/message_templates?after={i}"},
			}
			for i in range(1000)
		]
		client, adapter = self.client(pages)
		with self.assertRaises(GraphError):
			list(client.list_templates(WABA))
		self.assertLessEqual(len(adapter.urls), 200)


if __name__ == "__main__":
	unittest.main()
