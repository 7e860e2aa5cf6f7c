"""The app's own message templates, in Spanish and English, as Meta's create call takes them.
Pure module: no frappe import.

All UTILITY (about something the person is already involved in), with named parameters and an
example for each, written to pass Meta's review rules (template-management and guidelines pages):
names in lowercase a-z, 0-9 and _; a body of at most 1024 characters that neither starts nor ends
with a variable, never two variables side by side, and enough words around its variables; quick
reply buttons of at most 25 characters (at most 10 buttons); a document header with an example file
uploaded through the Resumable Upload API (its handle is put in by `create_body`).
"""

from __future__ import annotations

import copy
import re

LANGUAGES = ("es", "en")
CATEGORY = "UTILITY"
BODY_LIMIT = 1024
BUTTON_TEXT_LIMIT = 25
MAX_BUTTONS = 10
NAME = re.compile(r"[a-z0-9_]{1,512}")
PARAM_NAME = re.compile(r"[a-z][a-z0-9_]*")
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_SIDE_BY_SIDE = re.compile(r"\}\}\s*\{\{")
_WORD = re.compile(r"[^\W\d_]{2,}")

WAITING = "chatbot_messages_waiting"
NOTIFICATION = "chatbot_notification"
DOCUMENT = "chatbot_document"
REPORT_READY = "chatbot_report_ready"
APPROVAL_REQUEST = "chatbot_approval_request"

# name -> {"header": "DOCUMENT" | None, "examples": {param: example}, language -> (body, buttons)}
TEMPLATES = {
	WAITING: {
		"examples": {"count": "3", "company": "Test Company"},
		"es": (
			"Tienes {{count}} mensajes nuevos de {{company}}. Toca abajo para leerlos.",
			["Ver mensajes"],
		),
		"en": (
			"You have {{count}} new messages from {{company}}. Tap below to read them.",
			["Show messages"],
		),
	},
	NOTIFICATION: {
		"examples": {"title": "Sales Order SAL-ORD-0001", "details": "submitted by Ana, total $1,200.00"},
		"es": ("Aviso sobre {{title}}: {{details}}. Responde aquí si necesitas algo más.", []),
		"en": ("Update on {{title}}: {{details}}. Reply here if you need anything else.", []),
	},
	DOCUMENT: {
		"header": "DOCUMENT",
		"examples": {"document": "Sales Invoice ACC-SINV-0001", "details": "due on 15 March, $1,200.00"},
		"es": ("Aquí tienes {{document}}: {{details}}. El archivo va adjunto a este mensaje.", []),
		"en": ("Here is {{document}}: {{details}}. The file is attached to this message.", []),
	},
	REPORT_READY: {
		"examples": {"report": "Sales Analytics (March)"},
		"es": (
			"Tu informe {{report}} está listo. Toca el botón de abajo y te lo envío por aquí.",
			["Envíamelo"],
		),
		"en": (
			"Your report {{report}} is ready. Tap the button below and I will send it here.",
			["Send it"],
		),
	},
	APPROVAL_REQUEST: {
		"header": "DOCUMENT",
		"examples": {
			"doctype": "Purchase Order",
			"name": "PUR-ORD-0001",
			"party": "Acme Supplies",
			"amount": "$4,500.00",
			"requested_by": "Ana López",
		},
		"es": (
			"Se necesita tu aprobación para {{doctype}}: {{name}} (tercero {{party}}, importe "
			"{{amount}}), solicitada por {{requested_by}}. El documento va adjunto; apruébalo o "
			"recházalo con los botones de abajo.",
			["Aprobar", "Rechazar"],
		),
		"en": (
			"Approval needed for {{doctype}}: {{name}} (party {{party}}, amount {{amount}}), requested "
			"by {{requested_by}}. The document is attached; approve or reject it with the buttons below.",
			["Approve", "Reject"],
		),
	},
}

# The example file a document header is reviewed with (and Send Test's default): a one-page PDF
# saying what it stands for.
SAMPLE_PDF_NAME = "sample.pdf"


def _sample_pdf() -> bytes:
	text = b"BT /F1 24 Tf 72 760 Td (Sample document, e.g. an invoice) Tj ET"
	objects = [
		b"<</Type/Catalog/Pages 2 0 R>>",
		b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
		b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
		b"<</Length %d>>stream\n%s\nendstream" % (len(text), text),
		b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
	]
	pdf, offsets = b"%PDF-1.4\n", []
	for number, body in enumerate(objects, start=1):
		offsets.append(len(pdf))
		pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
	xref = len(pdf)
	pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
	pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
	pdf += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
	return pdf


SAMPLE_PDF = _sample_pdf()


def definitions() -> list[dict]:
	"""Every app template in every language: Meta's create body, the document header's example
	handle still to be filled (`needs_example_file`)."""
	return [definition(name, language) for name in TEMPLATES for language in LANGUAGES]


def definition(name: str, language: str) -> dict:
	spec = TEMPLATES[name]
	body, buttons = spec[language]
	names = variables(body)
	components: list[dict] = []
	if spec.get("header"):
		components.append({"type": "HEADER", "format": spec["header"], "example": {"header_handle": []}})
	components.append(
		{
			"type": "BODY",
			"text": body,
			"example": {
				"body_text_named_params": [
					{"param_name": param, "example": spec["examples"][param]} for param in names
				]
			},
		}
	)
	if buttons:
		components.append(
			{"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": text} for text in buttons]}
		)
	return {
		"name": name,
		"language": language,
		"category": CATEGORY,
		"parameter_format": "NAMED",
		"components": components,
	}


def needs_example_file(body: dict) -> bool:
	return any(c.get("type") == "HEADER" and c.get("format") == "DOCUMENT" for c in body["components"])


def create_body(body: dict, example_handle: str | None) -> dict:
	"""The create body with the uploaded example file's handle in its document header."""
	body = copy.deepcopy(body)
	for component in body["components"]:
		if component.get("type") == "HEADER" and component.get("format") == "DOCUMENT":
			component["example"] = {"header_handle": [example_handle] if example_handle else []}
	return body


def variables(text: str) -> list[str]:
	found: list[str] = []
	for name in _VARIABLE.findall(text or ""):
		if name not in found:
			found.append(name)
	return found


def problems(body: dict) -> list[str]:
	"""Meta's review rules this app knows, broken by a create body ([] when none)."""
	found = []
	if not NAME.fullmatch(body.get("name") or ""):
		found.append("the name must be lowercase letters, digits and underscores")
	for component in body.get("components") or []:
		if component.get("type") == "BODY":
			found += _body_problems(component)
		elif component.get("type") == "BUTTONS":
			buttons = component.get("buttons") or []
			if len(buttons) > MAX_BUTTONS:
				found.append(f"at most {MAX_BUTTONS} buttons")
			for button in buttons:
				if not 0 < len(button.get("text") or "") <= BUTTON_TEXT_LIMIT:
					found.append(
						f"button text {button.get('text')!r} must be 1 to {BUTTON_TEXT_LIMIT} characters"
					)
	return found


def _body_problems(component: dict) -> list[str]:
	text = component.get("text") or ""
	found = []
	if not text or len(text) > BODY_LIMIT:
		found.append(f"the body must be 1 to {BODY_LIMIT} characters")
	# punctuation around it does not count: "{{name}}." still ends with a variable for the review
	core = re.sub(r"^[^\w{]+|[^\w}]+$", "", text.strip())
	if core.startswith("{{") or core.endswith("}}"):
		found.append("the body must not start or end with a variable")
	if _SIDE_BY_SIDE.search(text):
		found.append("two variables side by side need words or punctuation between them")
	names = variables(text)
	if any(not PARAM_NAME.fullmatch(name) for name in names):
		found.append("named parameters are lowercase letters, digits and underscores")
	words = len(_WORD.findall(_VARIABLE.sub(" ", text)))
	if names and words < 2 * len(names) + 1:
		found.append(f"{len(names)} variables need more words around them ({words} words)")
	examples = {
		item.get("param_name"): item.get("example")
		for item in (component.get("example") or {}).get("body_text_named_params") or []
	}
	missing = [name for name in names if not examples.get(name)]
	if missing:
		found.append(f"examples missing for {', '.join(missing)}")
	return found
