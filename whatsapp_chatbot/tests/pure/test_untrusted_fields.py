"""The list of fields holding third-party text (review/untrusted_fields.py) against the DocTypes:
a field marked "Ignore XSS Filter" (stored as written) that the list forgets would reach the Desk
as markup."""

import json
from pathlib import Path

from whatsapp_chatbot.review import untrusted_fields as u

DOCTYPES = Path(__file__).resolve().parents[2] / "whatsapp_chatbot" / "doctype"
TEXT_FIELDTYPES = {"Data", "Small Text", "Text", "Long Text"}


def doctypes() -> dict[str, dict]:
	found = {}
	for path in DOCTYPES.glob("*/*.json"):
		doc = json.loads(path.read_text())
		if doc.get("doctype") == "DocType":
			found[doc["name"]] = doc
	assert len(found) >= 10, found.keys()
	return found


def test_every_field_that_skips_the_xss_filter_is_shown_as_text():
	forgotten = [
		f"{name}.{field['fieldname']}"
		for name, doc in doctypes().items()
		for field in doc["fields"]
		if field.get("ignore_xss_filter") and field["fieldname"] not in u.untrusted(name)
	]
	assert forgotten == []


def test_listed_fields_exist_and_hold_text():
	from whatsapp_chatbot.notifications import fields as notification_fields

	meta = doctypes()
	# Frappe's Notification is not ours: its listed fields are the Custom Fields the app adds
	meta["Notification"] = {"fields": notification_fields.CUSTOM_FIELDS}
	for doctype, fields in u.UNTRUSTED_FIELDS.items():
		types = {f["fieldname"]: f["fieldtype"] for f in meta[doctype]["fields"]}
		for field in fields:
			# the Desk's escaping formatter replaces Frappe's Data/Text formatter, nothing else
			assert types.get(field) in TEXT_FIELDTYPES, (doctype, field, types.get(field))


def test_untrusted_titles_are_the_doctypes_title_fields():
	meta = doctypes()
	titled = {
		name: doc["title_field"] for name, doc in meta.items() if doc.get("title_field") in u.untrusted(name)
	}
	assert titled == u.UNTRUSTED_TITLES


def test_boot_sends_the_list():
	bootinfo = {}
	u.boot_session(bootinfo)
	sent = bootinfo[u.BOOT_KEY]
	assert sent["fields"]["Chatbot Conversation"] == ["last_message"]
	assert "text" in sent["fields"]["Chatbot Message"]
	assert sent["titles"] == {"Chatbot Contact": "profile_name", "Chatbot Subscription": "title"}
	json.dumps(bootinfo)  # the boot travels as JSON


def test_as_text_escapes_markup_and_keeps_lines():
	payload = "<img src=x onerror=\"window.__wcb_xss=1\"> & 'ok'"
	assert u.as_text(payload) == (
		"&lt;img src=x onerror=&quot;window.__wcb_xss=1&quot;&gt; &amp; &#x27;ok&#x27;"
	)
	assert u.as_text("a<b>\nc", multiline=True) == "a&lt;b&gt;<br>c"
	assert u.as_text("a\nb") == "a\nb"
	assert u.as_text(None) == ""


class _Meta:
	def __init__(self, fields: dict[str, dict]):
		self.fields = fields

	def get_field(self, fieldname):
		df = self.fields.get(fieldname)
		return type("DocField", (), df) if df else None


class _Document:
	"""Stands in for frappe's Document.get_formatted: returns the value as Frappe's format_value
	does for these types (Text: newlines to <br>; Link: the stored title)."""

	def get_formatted(self, fieldname, *args, **kwargs):
		value = self.values.get(fieldname)
		if fieldname == "contact":
			return "<svg onload=alert(1)> Ana"  # the contact's title
		return (value or "").replace("\n", "<br>")


class _Message(u.ShownAsText, _Document):
	doctype = "Chatbot Message"

	def __init__(self, values):
		self.values = values
		self.meta = _Meta(
			{
				"text": {"fieldtype": "Long Text"},
				"profile_name": {"fieldtype": "Data"},
				"contact": {"fieldtype": "Link", "options": "Chatbot Contact"},
				"direction": {"fieldtype": "Select"},
			}
		)

	def get(self, fieldname):
		return self.values.get(fieldname)


def test_print_shows_untrusted_fields_and_titles_as_text():
	message = _Message(
		{"text": "<img src=x onerror=alert(1)>\nhola", "profile_name": "<b>Ana</b>", "direction": "Incoming"}
	)
	assert message.get_formatted("text") == "&lt;img src=x onerror=alert(1)&gt;<br>hola"
	assert message.get_formatted("profile_name") == "&lt;b&gt;Ana&lt;/b&gt;"
	assert message.get_formatted("contact") == "&lt;svg onload=alert(1)&gt; Ana"
	assert message.get_formatted("direction") == "Incoming"
