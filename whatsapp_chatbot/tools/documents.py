"""Documents as files: the PDF of any document the user may print, sent as a WhatsApp document."""

from __future__ import annotations

import re

import frappe

from whatsapp_chatbot.tools import data, metadata
from whatsapp_chatbot.tools.registry import Result, command
from whatsapp_chatbot.tools.schema import Param
from whatsapp_chatbot.tools.writes import DOC_REF


@command(
	"send_document_pdf",
	"Send a document's PDF.",
	{**DOC_REF, "caption": Param("string", "", required=False, max_length=200)},
	remote=True,
)
def send_document_pdf(doctype, name, caption=None) -> Result:
	doc = metadata.readable_document(doctype, name)
	pdf = data.current().pdf(doc)  # checks the print permission (the remote site checks its own)
	filename = re.sub(r"[^A-Za-z0-9._-]+", "-", doc.name).strip("-") + ".pdf"
	return Result(
		caption or f"{doc.doctype} {doc.name}",
		data={"doctype": doc.doctype, "name": doc.name, "file": filename, "sent": True},
		attachment=(filename, pdf, "application/pdf"),
	)
