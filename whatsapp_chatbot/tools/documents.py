"""Documents as files: the PDF of any document the user may print, sent as a WhatsApp document."""

from __future__ import annotations

import re

import frappe

from whatsapp_chatbot.tools import metadata
from whatsapp_chatbot.tools.registry import Result, command
from whatsapp_chatbot.tools.schema import Param
from whatsapp_chatbot.tools.writes import DOC_REF


@command(
	"send_document_pdf",
	"Send the PDF of a document (its default print format) as a file in the chat.",
	{**DOC_REF, "caption": Param("string", "Short caption for the file", required=False, max_length=200)},
)
def send_document_pdf(doctype, name, caption=None) -> Result:
	doc = metadata.readable_document(doctype, name)
	if not frappe.has_permission(doc.doctype, "print", doc):
		raise frappe.PermissionError(f"You may not print {doc.doctype}")
	# wkhtmltopdf fetches the print styles from the site's own URL (host_name): the worker must be
	# able to reach the site, as it can in a normal deployment.
	pdf = frappe.get_print(doc.doctype, doc.name, as_pdf=True)
	filename = re.sub(r"[^A-Za-z0-9._-]+", "-", doc.name).strip("-") + ".pdf"
	return Result(
		caption or f"{doc.doctype} {doc.name}",
		data={"doctype": doc.doctype, "name": doc.name, "file": filename, "sent": True},
		attachment=(filename, pdf, "application/pdf"),
	)
