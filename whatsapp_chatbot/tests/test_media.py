"""Pictures and PDFs in: served by the Graph stand-in, downloaded with the token, checked, stored as
private Files on their message, shown to the OpenAI stand-in (image parts or PDF text), and turned
into a draft Purchase Invoice (after Confirm, as the user, with the file attached) or an attachment.
"""

from __future__ import annotations

import base64
import hashlib
import time

import frappe
from frappe.utils import add_days, getdate, nowdate

from whatsapp_chatbot import texts
from whatsapp_chatbot.files import file_bytes
from whatsapp_chatbot.interpreter import media_input
from whatsapp_chatbot.media import current, images, sniff, tokens
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests import media_samples as samples
from whatsapp_chatbot.tests.fake_openai import call, image_parts, say

BILL_COMMAND = "draft_purchase_invoice_from_bill"
ATTACH_COMMAND = "attach_media_to_document"
SKU1_RATE = 150.0


class TestMediaIn(f.InterpreterTestCase):
	BUYER_MX = "5215577778888"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		run = frappe.generate_hash(length=6).upper()
		cls.run_id = run
		cls.buyer = f.make_chat_user(
			"chatbot-compras@example.com", ("Accounts User", "Purchase User", "Stock User"), cls.facts.company
		)
		frappe.set_user("Administrator")
		group = "All Supplier Groups"
		# a name no other test asks about ("Proveedora" alone must stay unique for test_commands)
		cls.supplier_name = f"Suministros Foto {run}"
		cls.tax_id = f"PFO{run}A1"
		cls.supplier = (
			frappe.get_doc(
				{
					"doctype": "Supplier",
					"supplier_name": cls.supplier_name,
					"supplier_group": group,
					"tax_id": cls.tax_id,
				}
			)
			.insert()
			.name
		)
		cls.expense_item = (
			frappe.get_doc(
				{
					"doctype": "Item",
					"item_code": f"GASTO-{run}",
					"item_name": f"Gastos varios {run}",
					"item_group": "All Item Groups",
					"stock_uom": "Nos",
					"is_stock_item": 0,
					"is_purchase_item": 1,
				}
			)
			.insert()
			.name
		)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		# this run's own records: draft invoices (and their files), the supplier, the expense item
		frappe.set_user("Administrator")
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "bill_expense_item", None)
		for invoice in frappe.get_all(
			"Purchase Invoice", filters={"supplier": cls.supplier, "docstatus": 0}, pluck="name"
		):
			frappe.delete_doc("Purchase Invoice", invoice, force=True)
		frappe.delete_doc("Supplier", cls.supplier, force=True)
		frappe.delete_doc("Item", cls.expense_item, force=True)
		frappe.db.commit()
		super().tearDownClass()

	def setUp(self):
		type(self).settings = {
			"max_media_mb": 16,
			"media_window_minutes": 30,
			"scan_pages": 2,
			"vision_model": "gpt-4o",
			"image_detail": "high",
			"bill_expense_item": self.expense_item,
			"model_prices": [
				{"model": "gpt-4o", "input_per_million": 2.5, "output_per_million": 25.0},
				{"model": "gpt-4.1-mini", "input_per_million": 0.4, "output_per_million": 4.0},
			],
		}
		super().setUp()
		self.buyer_contact = f.make_contact(self.BUYER_MX, user=self.buyer, language="es")
		self.bill = samples.Bill(
			supplier=self.supplier_name,
			tax_id=self.tax_id,
			bill_no=f"F-{frappe.generate_hash(length=8).upper()}",
			bill_date=str(add_days(getdate(nowdate()), -2)),
			lines=[
				{"description": "Widget Azul", "qty": 2, "rate": SKU1_RATE},
				{"description": "Tuerca M8", "qty": 100, "rate": 0.5},
			],
			total=350.0,
		)

	# -- helpers ---------------------------------------------------------------------------

	def settled(self, wa_id: str, timeout: float = 60.0) -> None:
		"""Wait until the contact's messages are processed and answered. RQ queues are shared by
		every site of the bench: another helper's worker may take this site's job before run_jobs
		does, and then the answer comes from there."""
		deadline = time.monotonic() + timeout
		while time.monotonic() < deadline:
			frappe.db.rollback()  # a fresh snapshot of what the other process committed
			if not frappe.db.count(
				"Chatbot Message",
				{"wa_id": wa_id, "status": ("in", ("Received", "Processing", "Queued", "Sending"))},
			):
				return
			time.sleep(0.2)
		raise AssertionError(f"messages of {wa_id} still pending after {timeout} s")

	def say(self, text: str, wa_id: str | None = None) -> list[dict]:
		before = len(self.graph.sent_messages())
		self.post(f.text_webhook(text, wa_id=wa_id or self.MX))
		f.run_jobs(queues=("short",))
		self.settled(wa_id or self.MX)
		return self.graph.sent_messages()[before:]

	def press(self, button_id: str, wa_id: str | None = None, title: str = "Confirmar") -> list[dict]:
		before = len(self.graph.sent_messages())
		super().press(button_id, wa_id=wa_id, title=title)
		self.settled(wa_id or self.MX)
		return self.graph.sent_messages()[before:]

	def send_media(
		self,
		content: bytes,
		kind: str = "image",
		caption: str | None = None,
		wa_id: str | None = None,
		filename: str | None = None,
		mime_type: str = "image/jpeg",
		sha256: str | None = None,
		announced_sha256: str | None = None,
	) -> list[dict]:
		"""A photo or document message through the signed webhook, as Meta sends it; `sha256` is
		the webhook's digest, `announced_sha256` the one the media URL lookup answers."""
		media_id = str(int(time.time() * 1000)) + frappe.generate_hash(length=4).encode().hex()[:6]
		media_id = "".join(ch for ch in media_id if ch.isdigit())
		self.graph.add_media(media_id, content, mime_type, sha256=announced_sha256)
		body = f.text_webhook("", wa_id=wa_id or self.BUYER_MX)
		message = body["entry"][0]["changes"][0]["value"]["messages"][0]
		message.pop("text")
		media = {
			"mime_type": mime_type,
			"sha256": sha256 or base64.b64encode(hashlib.sha256(content).digest()).decode(),
			"id": media_id,
		}
		if caption:
			media["caption"] = caption
		if filename:
			media["filename"] = filename
		message.update({"type": kind, kind: media})
		before = len(self.graph.sent_messages())
		self.post(body)
		f.run_jobs(queues=("short",))
		self.settled(wa_id or self.BUYER_MX)
		self.media_id = media_id
		return self.graph.sent_messages()[before:]

	def bill_arguments(self, **changes) -> dict:
		arguments = {
			"supplier_name": self.bill.supplier,
			"supplier_tax_id": self.bill.tax_id,
			"bill_no": self.bill.bill_no,
			"bill_date": self.bill.bill_date,
			"lines": [
				{"description": line["description"], "qty": line["qty"], "rate": line["rate"]}
				for line in self.bill.lines
			],
			"total": self.bill.total,
			"taxes": None,
			"one_expense_line": False,
		}
		return {**arguments, **changes}

	def latest_incoming(self):
		return frappe.get_last_doc("Chatbot Message", filters={"direction": "Incoming"})

	def stored_file(self, message):
		return frappe.get_doc(
			"File", {"attached_to_doctype": "Chatbot Message", "attached_to_name": message.name}
		)

	def invoices(self) -> list:
		return frappe.get_all(
			"Purchase Invoice",
			filters={"bill_no": self.bill.bill_no},
			fields=["name", "docstatus", "owner", "supplier", "bill_date", "grand_total"],
		)

	def confirm(self, preview: dict) -> list[dict]:
		self.assertEqual(preview["type"], "interactive", preview)
		yes = next(b for b in self.buttons(preview) if b.endswith(":y"))
		return self.press(yes, wa_id=self.BUYER_MX)

	def assert_attached(self, doctype: str, name: str, source) -> None:
		"""One private copy of the user's file on the document: the same PDF, or the same picture
		(Frappe may re-encode JPEGs on save when System Settings strips EXIF), without GPS."""
		attached = frappe.get_all(
			"File",
			filters={"attached_to_doctype": doctype, "attached_to_name": name},
			fields=["name", "is_private", "content_hash"],
		)
		self.assertEqual(len(attached), 1, attached)
		self.assertEqual(attached[0].is_private, 1)
		copy = file_bytes(frappe.get_doc("File", attached[0].name))
		original = file_bytes(source)
		kind = sniff.sniff(original)
		self.assertEqual(sniff.sniff(copy), kind)
		if kind.category == sniff.PDF:
			self.assertEqual(attached[0].content_hash, source.content_hash)
		else:
			self.assertEqual(images.size(copy), images.size(original))
			self.assertFalse(samples.has_gps(copy))

	# -- a photo of a bill -------------------------------------------------------------------

	def test_photo_of_a_bill_becomes_a_draft_purchase_invoice_after_confirm(self):
		photo = samples.bill_photo(self.bill, gps=True)
		self.assertTrue(samples.has_gps(photo))
		self.openai.script(call(BILL_COMMAND, self.bill_arguments()))
		[preview] = self.send_media(photo, caption="regístrala como factura de compra")

		# what the model was shown: the photo as an image part, with the caption, to the vision model
		request = self.openai.requests[0]
		self.assertEqual(request["model"], "gpt-4o")
		[picture] = image_parts(request)
		self.assertEqual((picture["mime"], picture["detail"]), ("image/jpeg", "high"))
		self.assertEqual(sniff.sniff(picture["content"]).mime_type, "image/jpeg")
		self.assertFalse(samples.has_gps(picture["content"]))
		user_parts = request["messages"][-1]["content"]
		self.assertEqual(user_parts[-1], {"type": "text", "text": "regístrala como factura de compra"})
		self.assertIn(BILL_COMMAND, self.tools_offered(0))

		# stored: private, on its message, without the GPS position
		message = self.latest_incoming()
		stored = self.stored_file(message)
		self.assertEqual((stored.is_private, message.media_file), (1, stored.file_url))
		self.assertFalse(samples.has_gps(stored.get_content()))

		# the preview: what was read and what it matched; nothing written yet
		body = self.body(preview)
		self.assertIn(self.supplier, body)
		self.assertIn(f"identificador fiscal {self.tax_id}", body)  # in the Spanish writer's language
		self.assertIn("SKU-1", body)
		self.assertIn("TUERCA-M8", body)
		self.assertIn("✓", body)
		self.assertEqual(self.invoices(), [])
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual((command.command, command.status), (BILL_COMMAND, "Awaiting Confirmation"))
		self.assertEqual(frappe.parse_json(command.arguments)["media"], message.name)

		# image tokens are metered with the rest
		self.assertGreaterEqual(
			message.prompt_tokens, tokens.image_tokens(*picture["size"], "high", "gpt-4o")
		)

		[done] = self.confirm(preview)
		[invoice] = self.invoices()
		self.assertIn(invoice.name, self.body(done))
		self.assertEqual(
			(invoice.docstatus, invoice.owner, invoice.supplier, str(invoice.bill_date)),
			(0, self.buyer, self.supplier, self.bill.bill_date),
		)
		self.assertEqual(invoice.grand_total, 350.0)
		items = frappe.get_all(
			"Purchase Invoice Item",
			filters={"parent": invoice.name},
			fields=["item_code", "qty", "rate"],
			order_by="idx",
		)
		self.assertEqual(
			[(i.item_code, i.qty, i.rate) for i in items], [("SKU-1", 2, SKU1_RATE), ("TUERCA-M8", 100, 0.5)]
		)
		self.assert_attached("Purchase Invoice", invoice.name, stored)

	def test_picture_alone_gets_a_description_then_the_next_message_is_the_instruction(self):
		self.openai.script(
			say("Es una factura de Proveedora Foto por $350. ¿La registro como factura de compra?"),
			call(BILL_COMMAND, self.bill_arguments()),
		)
		[described] = self.send_media(samples.bill_photo(self.bill))
		self.assertIn("factura", self.body(described))
		first = self.openai.requests[0]["messages"][-1]["content"]
		self.assertIn(media_input.NO_INSTRUCTION, first[0]["text"])
		self.assertEqual(len(image_parts(self.openai.requests[0])), 1)

		[preview] = self.say("sí, regístrala", self.BUYER_MX)
		second = self.openai.requests[1]
		self.assertEqual(len(image_parts(second)), 1)  # the photo is still the turn's media
		self.assertNotIn(media_input.NO_INSTRUCTION, second["messages"][-1]["content"][0]["text"])
		self.assertEqual(second["messages"][-1]["content"][-1]["text"], "sí, regístrala")
		self.assertEqual(self.body(preview).count("✓"), 1)
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual(
			frappe.parse_json(command.arguments)["media"],
			frappe.get_all(
				"Chatbot Message",
				filters={"direction": "Incoming", "message_type": "image"},
				pluck="name",
			)[0],
		)

	def test_without_a_recent_photo_the_bill_command_asks_for_one(self):
		self.openai.script(call(BILL_COMMAND, self.bill_arguments()), say("Mándame la foto de la factura."))
		[reply] = self.say("registra la factura de Suministros", self.BUYER_MX)
		self.assertEqual(self.body(reply), "Mándame la foto de la factura.")
		told = frappe.parse_json(self.openai.requests[1]["messages"][-1]["content"])["error"]
		self.assertIn("No se envió ninguna foto ni PDF", told)  # in the language the user writes
		self.assertEqual(image_parts(self.openai.requests[0]), [])
		self.assertFalse(frappe.db.exists("Chatbot Command", {"contact": self.buyer_contact.name}))

	def test_question_about_the_picture_writes_nothing(self):
		self.openai.script(say("Suma $350.00: 2 Widget Azul y 100 Tuercas M8."))
		[answer] = self.send_media(samples.bill_photo(self.bill), caption="¿cuánto suma?")
		self.assertEqual(self.body(answer), "Suma $350.00: 2 Widget Azul y 100 Tuercas M8.")
		self.assertFalse(frappe.db.exists("Chatbot Command", {"contact": self.buyer_contact.name}))
		self.assertEqual(self.invoices(), [])

	def test_lines_that_do_not_add_up_are_flagged(self):
		self.openai.script(call(BILL_COMMAND, self.bill_arguments(total=400.0)))
		[preview] = self.send_media(samples.bill_photo(self.bill), caption="regístrala")
		self.assertIn("⚠", self.body(preview))
		self.assertIn("400", self.body(preview))

	def test_an_item_code_the_user_gave_and_a_line_that_matches_several_items(self):
		lines = [
			{"description": "TUERCA-M8", "qty": 100, "rate": 0.5},  # "the nuts are TUERCA-M8"
			{"description": "Widget", "qty": 2, "rate": SKU1_RATE},  # Widget Azul or Widget Rojo?
		]
		self.openai.script(
			call(BILL_COMMAND, self.bill_arguments(lines=lines)),
			say("¿Cuál Widget es, el Azul o el Rojo?"),
			call(BILL_COMMAND, self.bill_arguments(lines=[lines[0], {**lines[1], "description": "SKU-1"}])),
		)
		[question] = self.send_media(samples.bill_photo(self.bill), caption="regístrala")
		self.assertEqual(self.body(question), "¿Cuál Widget es, el Azul o el Rojo?")
		self.assertIn(
			"Ningún artículo coincide de forma única con línea 2",
			self.openai.requests[1]["messages"][-1]["content"],
		)
		[preview] = self.say("el azul, SKU-1", self.BUYER_MX)
		body = self.body(preview)
		self.assertIn("100 x TUERCA-M8 @", body)
		self.assertIn("2 x SKU-1 @", body)

	def test_whole_bill_on_the_default_expense_item(self):
		self.openai.script(call(BILL_COMMAND, self.bill_arguments(one_expense_line=True)))
		[preview] = self.send_media(samples.bill_photo(self.bill), caption="regístrala como un solo gasto")
		self.assertIn(self.expense_item, self.body(preview))
		self.confirm(preview)
		[invoice] = self.invoices()
		items = frappe.get_all(
			"Purchase Invoice Item", filters={"parent": invoice.name}, fields=["item_code", "qty", "rate"]
		)
		self.assertEqual([(i.item_code, i.qty, i.rate) for i in items], [(self.expense_item, 1, 350.0)])

	def test_unknown_supplier_is_asked_about_never_created(self):
		unknown = f"Nadie {self.run_id} SA"
		self.openai.script(
			call(BILL_COMMAND, self.bill_arguments(supplier_name=unknown, supplier_tax_id="XAXX010101000")),
			say("No encuentro ese proveedor en ERPNext: ¿cuál es?"),
		)
		[question] = self.send_media(samples.bill_photo(self.bill), caption="regístrala")
		self.assertEqual(self.body(question), "No encuentro ese proveedor en ERPNext: ¿cuál es?")
		tool_result = self.openai.requests[1]["messages"][-1]["content"]
		self.assertIn("Nunca se crean proveedores", frappe.parse_json(tool_result)["error"])
		self.assertFalse(frappe.db.exists("Supplier", {"supplier_name": unknown}))
		self.assertFalse(frappe.db.exists("Chatbot Command", {"status": "Awaiting Confirmation"}))

	def test_a_user_without_purchase_invoice_rights_is_never_offered_it(self):
		self.openai.script(call(BILL_COMMAND, self.bill_arguments()), say("No puedo hacer eso."))
		self.send_media(samples.bill_photo(self.bill), caption="regístrala", wa_id=self.STORE_MX)
		offered = self.tools_offered(0)
		self.assertNotIn(BILL_COMMAND, offered)
		self.assertIn(ATTACH_COMMAND, offered)
		self.assertIn("unknown tool", self.openai.requests[1]["messages"][-1]["content"])
		self.assertEqual(self.invoices(), [])

	# -- PDFs --------------------------------------------------------------------------------

	def test_pdf_bill_text_reaches_the_model_and_becomes_a_draft(self):
		self.openai.script(call(BILL_COMMAND, self.bill_arguments()))
		[preview] = self.send_media(
			samples.bill_pdf(self.bill),
			kind="document",
			caption="regístrala",
			filename="factura proveedor.pdf",
			mime_type="application/pdf",
		)
		request = self.openai.requests[0]
		self.assertEqual(image_parts(request), [])
		texts_sent = [p["text"] for p in request["messages"][-1]["content"]]
		self.assertTrue(any(self.bill.bill_no in t and self.tax_id in t for t in texts_sent), texts_sent)
		self.assertEqual(request["model"], "gpt-4o")
		message = self.latest_incoming()
		self.assertIn(self.bill.bill_no, message.transcript)
		stored = self.stored_file(message)
		self.assertTrue(
			stored.file_name.startswith("factura-proveedor-") and stored.file_name.endswith(".pdf")
		)
		self.confirm(preview)
		[invoice] = self.invoices()
		self.assertEqual((invoice.docstatus, invoice.owner), (0, self.buyer))
		self.assert_attached("Purchase Invoice", invoice.name, stored)

	def test_scanned_pdf_is_shown_as_page_images(self):
		self.openai.script(say("Es una factura escaneada."))
		self.send_media(
			samples.scan_pdf(self.bill, pages=3),
			kind="document",
			filename="scan.pdf",
			mime_type="application/pdf",
		)
		pages = image_parts(self.openai.requests[0])
		self.assertEqual(len(pages), 2)  # scan_pages
		self.assertTrue(all(p["mime"] == "image/jpeg" and p["size"][0] > 0 for p in pages))
		self.assertIn("no text layer", self.openai.requests[0]["messages"][-1]["content"][0]["text"])

	# -- refused -----------------------------------------------------------------------------

	def assert_refused(self, sent: list[dict], key: str, **values) -> None:
		[reply] = sent
		self.assertEqual(self.body(reply), texts.text(key, "es", **values))
		message = self.latest_incoming()
		self.assertFalse(message.media_file)
		self.assertFalse(
			frappe.db.exists(
				"File", {"attached_to_doctype": "Chatbot Message", "attached_to_name": message.name}
			)
		)
		self.assertEqual([r for r in self.openai.requests if "messages" in r], [])

	def test_executable_named_pdf_is_refused_and_not_kept(self):
		sent = self.send_media(
			samples.elf_named_pdf(), kind="document", filename="bill.pdf", mime_type="application/pdf"
		)
		self.assert_refused(sent, "media_refused_executable", label="ELF executable")
		self.assertIn("ELF", self.latest_incoming().error_message)

	def test_file_over_the_size_cap_is_refused_without_downloading_it(self):
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "max_media_mb", 1)
		frappe.db.commit()
		big = samples.big_photo(2 * 1024 * 1024)
		self.assertGreater(len(big), 1024 * 1024)
		sent = self.send_media(big)
		size = f"{len(big) / 1048576:.1f}".rstrip("0").rstrip(".")
		self.assert_refused(sent, "media_too_big", size=size, limit="1")
		self.assertFalse(any(r.path.startswith("/media-bytes/") for r in self.graph.requests))

	def test_sha256_mismatch_is_refused(self):
		wrong = base64.b64encode(hashlib.sha256(b"something else").digest()).decode()
		sent = self.send_media(samples.bill_photo(self.bill), sha256=wrong)
		self.assert_refused(sent, "media_damaged")
		self.openai.reset()
		sent = self.send_media(
			samples.bill_photo(self.bill), announced_sha256=hashlib.sha256(b"other").hexdigest()
		)
		self.assert_refused(sent, "media_damaged")

	def test_password_protected_pdf_is_refused(self):
		import io

		import pypdf

		writer = pypdf.PdfWriter(clone_from=io.BytesIO(samples.bill_pdf(self.bill)))
		writer.encrypt("secreto", algorithm="AES-128")
		locked = io.BytesIO()
		writer.write(locked)
		sent = self.send_media(
			locked.getvalue(), kind="document", filename="f.pdf", mime_type="application/pdf"
		)
		self.assert_refused(sent, "media_pdf_locked")

	def test_media_that_cannot_be_downloaded_ends_in_an_apology_and_a_rerunnable_message(self):
		self.graph.fail_next(131000, times=3, path="/media-bytes/")
		[apology] = self.send_media(samples.bill_photo(self.bill), caption="regístrala")
		self.assertEqual(self.body(apology), texts.text("assistant_unavailable", "es"))
		message = self.latest_incoming()
		self.assertEqual((message.status, message.media_file), ("Failed", None))
		self.assertEqual([r for r in self.openai.requests if "messages" in r], [])

	def test_a_photo_turn_run_again_uses_the_stored_file(self):
		from whatsapp_chatbot.api.desk import reprocess
		from whatsapp_chatbot.tests.fake_openai import fail

		self.openai.script(fail(500))
		[apology] = self.send_media(samples.bill_photo(self.bill), caption="¿qué es?")
		self.assertEqual(self.body(apology), texts.text("assistant_unavailable", "es"))
		message = self.latest_incoming()
		self.assertEqual(message.status, "Failed")
		self.assertTrue(message.media_file)  # stored before the model was asked
		self.openai.reset()
		self.openai.script(say("Una factura de Suministros Foto."))
		frappe.set_user(f.make_manager())
		reprocess(message.name)
		frappe.set_user("Administrator")
		frappe.db.commit()
		f.run_jobs(queues=("short",))
		self.settled(self.BUYER_MX)
		self.assertEqual(self.body(self.graph.sent_messages()[-1]), "Una factura de Suministros Foto.")
		self.assertEqual(len(image_parts(self.openai.requests[0])), 1)
		downloads = [r for r in self.graph.requests if r.path.startswith("/media-bytes/")]
		self.assertEqual(len(downloads), 1)  # the second run read the stored File

	# -- attach ------------------------------------------------------------------------------

	def drop_attachments(self, doctype: str, name: str) -> None:
		for file in frappe.get_all(
			"File", filters={"attached_to_doctype": doctype, "attached_to_name": name}, pluck="name"
		):
			frappe.delete_doc("File", file, ignore_permissions=True)
		frappe.db.commit()

	def test_attach_this_to_a_sales_order(self):
		order = self.facts.sales_order
		self.drop_attachments("Sales Order", order)  # the shared test order: ours only while we test
		self.addCleanup(self.drop_attachments, "Sales Order", order)
		self.openai.script(
			say("Es una factura."),
			call(ATTACH_COMMAND, {"doctype": "Sales Order", "name": order}),
		)
		self.send_media(samples.bill_photo(self.bill), wa_id=self.MX)
		[preview] = self.say(f"adjunta esto a {order}", self.MX)
		self.assertIn(order, self.body(preview))
		source = self.stored_file(
			frappe.get_last_doc("Chatbot Message", filters={"direction": "Incoming", "message_type": "image"})
		)
		self.assertFalse(
			frappe.db.exists("File", {"attached_to_doctype": "Sales Order", "attached_to_name": order})
		)
		yes = next(b for b in self.buttons(preview) if b.endswith(":y"))
		[done] = self.press(yes, wa_id=self.MX)
		self.assertIn(order, self.body(done))
		self.assert_attached("Sales Order", order, source)
		self.assertEqual(
			frappe.db.get_value(
				"File", {"attached_to_name": order, "attached_to_doctype": "Sales Order"}, "owner"
			),
			self.sales,
		)

	def test_attach_to_a_document_the_user_may_not_change_is_refused(self):
		order = self.facts.sales_order
		self.openai.script(
			call(ATTACH_COMMAND, {"doctype": "Sales Order", "name": order}),
			say("No tienes permiso para cambiar ese pedido."),
		)
		self.send_media(samples.bill_photo(self.bill), caption=f"adjunta esto a {order}", wa_id=self.STORE_MX)
		self.assertIn("permission_denied", self.openai.requests[1]["messages"][-1]["content"])
		self.assertFalse(frappe.db.exists("Chatbot Command", {"status": "Awaiting Confirmation"}))

	# -- the prompt ----------------------------------------------------------------------------

	def test_static_prefix_is_the_same_with_and_without_a_picture(self):
		self.openai.script(say("hola"), say("una factura"))
		self.say("hola", self.BUYER_MX)
		self.send_media(samples.bill_photo(self.bill), caption="¿qué es esto?")
		text_turn, media_turn = self.openai.requests[0], self.openai.requests[1]
		self.assertEqual(text_turn["messages"][0], media_turn["messages"][0])
		self.assertEqual(text_turn["tools"], media_turn["tools"])

	def test_image_tokens_count_against_the_daily_budget(self):
		self.openai.script(say("hola"), say("Es una factura."))
		self.say("hola", self.BUYER_MX)
		text_turn = self.latest_incoming()
		text_only = text_turn.prompt_tokens + text_turn.completion_tokens
		# room for two text turns and the photo's note, not for the photo's image tokens
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "daily_token_budget", 2 * text_only + 400)
		frappe.db.commit()
		self.send_media(samples.bill_photo(self.bill), caption="¿qué es?")
		photo_turn = self.latest_incoming()
		self.assertGreaterEqual(
			photo_turn.prompt_tokens - text_turn.prompt_tokens,
			tokens.image_tokens(900, 1200, "high", "gpt-4o"),
		)
		# priced as the vision model that read it (gpt-4o), the text turn as the chat model
		for turn, rate in ((photo_turn, 2.5), (text_turn, 0.4)):
			expected = (turn.prompt_tokens * rate + turn.completion_tokens * 10 * rate) / 1_000_000
			self.assertAlmostEqual(turn.cost, expected, delta=1e-6)  # stored with 6 decimals
		[refused] = self.say("¿y cuánto suma?", self.BUYER_MX)
		self.assertEqual(self.body(refused), texts.text("budget_exceeded", "es"))
