"""What the bot says by itself (not the model's answers): the English source of its sentences.

Pure module: no frappe import. Each key names an English sentence with named placeholders; that
sentence is the msgid Frappe's translations are looked up by (translations/<lang>.csv, and the
Translation records an admin adds in the Desk): `text(key, language)` says it in the user's
language through i18n.say, or in English whole when the site lacks any of the bot's sentences in
that language. `guess_language` reads the country calling code of a phone number, for contacts
whose language nobody has set yet.
"""

from __future__ import annotations

TEXTS: dict[str, str] = {
	"unknown_contact": "Hello! This number is not linked to an account yet. Please ask your administrator to register it.",
	"not_configured": "Hi! The assistant is not configured yet: an administrator still has to set the OpenAI key. Your message was saved.",
	"unsupported_type": "Sorry, I can't read this kind of message yet. Please write it as text.",
	"assistant_unavailable": "Sorry, the assistant is not available right now. Your message was saved; please try again in a few minutes.",
	"budget_exceeded": "You have used today's assistant allowance. It resets tomorrow; slash commands (/help) still work.",
	"not_understood": "Sorry, I couldn't turn that into something I can do. Could you say it another way? (/help lists what I can do)",
	"confirm_question": "Shall I go ahead? (ref {ref}, valid {minutes} min)",
	"confirm_button": "Confirm",
	"cancel_button": "Cancel",
	"cancelled": "Cancelled ({ref}). Nothing was changed.",
	"expired": "That confirmation expired ({ref}). Nothing was changed; ask again if you still want it.",
	"confirmation_invalid": "That button is no longer valid. Nothing was changed.",
	"confirmation_done": "Your answer to {ref} was already taken ({status}). Nothing was done again.",
	"confirmed_interrupted": "{ref} was interrupted while it ran, so it may or may not have been done. It will not run again, to avoid doing it twice: please check the document before asking again.",
	"nothing_pending": "There is nothing waiting for your confirmation.",
	"command_failed": "I couldn't do it: {error}",
	"not_permitted": "Sorry, your ERPNext user does not have permission for that.",
	"unknown_command": "Unknown command /{name}. Send /help for the list.",
	"help_header": "Write what you need in your own words, or use a command:",
	"whoami": "You are *{full_name}* ({user}).\nRoles: {roles}\nLanguage: {lang}",
	"voice_too_long": "That voice note is too long for me. Could you send a shorter one, or write it?",
	"media_refused_executable": "I don't accept programs or scripts (this file is a {label}), so I didn't keep it. I can read photos and PDFs.",
	"media_refused_archive": "I can't open compressed files ({label}), so I didn't keep it. Please send the photo or PDF itself.",
	"media_refused_office": "I can't read Office files yet, so I didn't keep it. Please send it as a PDF or a photo.",
	"media_refused_unknown": "I can't read this kind of file, so I didn't keep it. I can read photos (JPEG, PNG, WebP, GIF) and PDFs.",
	"media_too_big": "That file is {size} MB and I accept up to {limit} MB. Could you send a smaller one, or a photo of the page that matters?",
	"media_damaged": "The file arrived damaged (it doesn't match what WhatsApp says it sent), so I didn't keep it. Please send it again.",
	"media_unreadable": "I couldn't open that file; it may be damaged. Please send it again, or a photo of it.",
	"media_not_downloaded": "Sorry, I couldn't download what you sent from WhatsApp, so I didn't keep it. Please send it again, or write it.",
	"media_pdf_locked": "That PDF is protected with a password. Please send it without the password, or a photo of it.",
	"working": "⏳ Working on it (ref {ref}). I'll tell you how it goes.",
	# a burst: the turn queue takes longer than the Settings' threshold to drain (channel/backlog.py)
	"busy": "⏳ Many requests right now: your answer is coming in a few minutes.",
	"progress": "⏳ {ref}: {percent}% done{note}",
	"long_failed": "Sorry, {ref} did not finish ({reason}). You can ask again.",
	"long_cancelled": "Stopped {ref}. Nothing more will be sent.",
	"cancel_requested": "Stopping {ref}…",
	"status_none": "Nothing is running for you right now.",
	"status_line": "• {ref} {command}: {status}, {percent}% done",
	"help_human": "talk to a person",
	"help_sites": "Other sites you may use: {sites} (say it, or add site={example} to a command).",
	"person_requested": "I've let the team know: a person will write to you here as soon as possible. Meanwhile I can still help with anything else.",
	# reports that arrive by themselves (subscriptions/, tools/subscriptions.py)
	"subscription_what": "{what} ({period})",
	"schedule_daily": "every day at {time}",
	"schedule_weekdays": "Monday to Friday at {time}",
	"schedule_weekly": "every {weekday} at {time}",
	"schedule_monthly": "on day {day} of each month at {time}",
	"period_today": "today",
	"period_yesterday": "yesterday",
	"period_last_7_days": "the last 7 days",
	"period_last_30_days": "the last 30 days",
	"period_this_week": "this week",
	"period_last_week": "last week",
	"period_this_month": "this month",
	"period_last_month": "last month",
	"subscribe_preview": "I'll send you this by itself: *{title}*.\nThe first one: {first}.",
	"subscribed": "Done: *{title}* (number {number}). /subscriptions lists yours; /unsubscribe {number} stops this one.",
	"subscriptions_none": "No reports arrive by themselves for you. Ask for one, e.g. “send me yesterday's sales every day at 8”.",
	"subscriptions_header": "Reports that arrive by themselves:",
	"subscriptions_line": "{number}. {title} (next: {next})",
	"subscriptions_paused": "{number}. {title} (paused)",
	"subscriptions_footer": "/unsubscribe N stops one.",
	"unsubscribe_preview": "Stop *{title}*? It won't arrive any more.",
	"unsubscribed": "Stopped: {title}.",
	"unsubscribe_which": "Several match “{text}”. Which one?\n{choices}",
	"unsubscribe_none": "None of your subscriptions matches “{text}”. Yours:\n{choices}",
	"subscription_header": "🔔 {title}",
	"subscription_not_permitted": "Your report *{title}* was not sent: your ERPNext user may no longer run it. It starts again by itself if that permission comes back; /unsubscribe {number} stops it.",
	"subscription_failed": "Your report *{title}* could not be made this time: {error}",
	"subscription_paused": "I paused your report *{title}*: it failed three times in a row ({error}). The administrators have been told; ask for it again once it is fixed.",
	"subscribe_unknown": "There is no command {command} you may use.",
	"subscribe_writes": "Only reports and questions can arrive by themselves; {command} changes data.",
	"subscribe_fixed_dates": "A report that repeats can't have fixed dates ({dates}). Which period do you mean each time: today, yesterday, the last 7 days, this week, last week, this month or last month?",
	"subscribe_no_period": "{command} has no dates to set: leave the period out.",
	"subscribe_bad_arguments": "The command's arguments must be a JSON object ({error}).",
	"subscribe_bad_time": "At what time? Say it as HH:MM, e.g. 08:00.",
	"subscribe_bad_frequency": "How often: every day, Monday to Friday, once a week or once a month?",
	"subscribe_needs_weekday": "On which day of the week?",
	"subscribe_needs_day": "On which day of the month (1 to 31)?",
	"subscribe_no_contact": "Subscriptions are made from your WhatsApp chat.",
	"subscription_other_user": "Contact {contact} now belongs to {user}: a subscription runs as its contact's User.",
	"subscription_not_yours": "You may not set up a subscription that runs as {user}.",
	# remote sites (executors/remote.py): {site} is the short name people use ("norte")
	"remote_unauthorized": "The site {site} did not accept your access key. Please ask your administrator to check it.",
	"remote_forbidden": "On {site} you don't have permission for that{detail}.",
	"remote_rejected": "{site} did not accept it: {detail}",
	"remote_not_found": "{site} could not find it{detail}.",
	"remote_server": "The site {site} had an internal error. Please try again later; the team can see it.",
	"remote_timeout": "The site {site} took too long to answer. Please try again in a few minutes.",
	"remote_down": "I can't reach the site {site} right now: it seems to be down or unreachable.",
	"remote_tunnel": "I couldn't connect to {site} through its secure tunnel. The team can see why.",
	# one per tunnels.TunnelError.kind ("tunnel_" + kind, as executors/rest.RemoteError.kind); "remote_tunnel" covers the rest
	"tunnel_host_key_mismatch": "I did not connect to {site}: its server's identity (SSH host key) is not the one on record, so I refused for safety. The team has been told what to check.",
	"tunnel_auth_refused": "The server of {site} refused my SSH key, so I couldn't reach it. Please ask your administrator to check the tunnel key.",
	"tunnel_connect_timeout": "The server of {site} did not answer in time. Please try again in a few minutes.",
	"tunnel_unreachable": "I can't reach the server of {site} right now (its secure tunnel doesn't answer).",
	"tunnel_dropped": "The connection to {site} was cut while I was working on it, so it did not finish. Please try again.",
	"tunnel_remote_down": "The site {site} seems to be down: its server answers, but the site behind it does not.",
	"tunnel_config": "The connection to {site} is not set up correctly. Please ask your administrator to check it.",
	"remote_local_only": "{command} only works on this site, not on {site}.",
	"remote_needs_app": "That command needs the WhatsApp assistant installed on {site}.",
	"remote_no_access": "You don't have access to the site {site}.",
	# charts (tools/charts.py): the caption of the image, its titles, and what is said instead
	"chart_caption": "📊 {title} ({period}): {total} in total",
	"chart_empty": "Nothing to chart: {title} has no data for {period}.",
	"chart_too_many": "That would be {count} {grain} in one chart, too many to read on a phone. Ask by week or month, or for a shorter period.",
	"chart_bad_period": "The period starts after it ends.",
	"chart_which_company": "Which company? You have no default company.",
	"chart_usage": "Charts: /chart sales day|week|month|customer|item, /chart stock ITEM, /chart documents doctype=… (add from_date=YYYY-MM-DD to_date=YYYY-MM-DD).",
	"chart_sales_day": "Sales by day",
	"chart_sales_week": "Sales by week",
	"chart_sales_month": "Sales by month",
	"chart_top_customers": "Top customers",
	"chart_top_items": "Top items",
	"chart_stock": "Stock of {item} by warehouse",
	"chart_by": "{what} by {by}",
	"chart_count_of": "Number of {doctype}",
	"chart_count": "count",
	"chart_day": "day",
	"chart_week": "week",
	"chart_month": "month",
	"chart_days": "days",
	"chart_weeks": "weeks",
	"chart_months": "months",
	"failed": "Sorry, something went wrong while handling your message. It was saved and the team can retry it.",
	# workflow approvals (approvals/): {doctype} and {state} arrive translated, {user} is a full name
	"approval_request": "*{doctype} {name}* is waiting for your approval ({state}).",
	"approval_total": "Total: {amount}",
	"approval_more_lines": "…and {count} more lines",
	"approval_requested_by": "Sent for approval by {user}.",
	"approval_choose": "Choose",
	"approval_done_by_other": "{user} chose “{action}” on {doctype} *{name}*: it is now {state}. Nothing more is needed from you.",
	"approval_moved_on": "{doctype} *{name}* was moved on by {user}: it is now {state}. Nothing more is needed from you.",
	"approval_already_done": "Already done by {user}: {doctype} *{name}* is now {state}. Nothing more was done.",
	"approval_buttons_spent": "These buttons no longer act: {doctype} *{name}* is now {state}. Nothing was done.",
}

# Calling codes of countries where Spanish (or Portuguese) is the main language (E.164 prefixes;
# the North American numbering plan entries need all four digits).
SPANISH_CALLING_CODES = (
	"1787", "1939", "1809", "1829", "1849",  # Puerto Rico, Dominican Republic
	"34", "52", "53", "54", "56", "57", "58", "51",
	"502", "503", "504", "505", "506", "507", "591", "593", "595", "598", "240",
)  # fmt: skip
PORTUGUESE_CALLING_CODES = ("55", "351", "244", "258", "238", "245", "239", "670")  # Brazil, Portugal…


def guess_language(wa_id: str | None) -> str | None:
	"""'es' or 'pt' for Spanish- or Portuguese-speaking calling codes, None when the number says
	nothing."""
	digits = "".join(ch for ch in (wa_id or "") if ch.isdigit())
	if not digits:
		return None
	if any(digits.startswith(code) for code in SPANISH_CALLING_CODES):
		return "es"
	if any(digits.startswith(code) for code in PORTUGUESE_CALLING_CODES):
		return "pt"
	return None


def normalise_language(code: str | None) -> str:
	"""'es-MX' -> 'es', 'pt-BR' -> 'pt'; empty -> 'en'. Which of them the bot can speak is decided
	by the site's translations (i18n.bot_language), not here."""
	return (code or "").replace("_", "-").split("-")[0].strip().lower() or "en"


def english(key: str) -> str:
	"""The English sentence of a key: the msgid Frappe's translations are looked up by."""
	return TEXTS[key]


def english_help(name: str) -> str:
	return COMMAND_HELP[name]


def text(key: str, language: str | None, **values) -> str:
	"""What the bot says for `key`, in `language` when the site can say all of the bot's sentences
	in it, else in English."""
	return translate(english(key), language, **values)


def translate(msgid: str, language: str | None, **values) -> str:
	"""`msgid` through Frappe's translations (i18n.say) in a site; from the app's own CSV files
	where Frappe is not there (pure tests), by the same never-half rule."""
	try:
		import frappe
	except ImportError:
		frappe = None
	if frappe is not None and getattr(frappe.local, "site", None):
		from whatsapp_chatbot import i18n

		return i18n.say(msgid, language, **values)  # None: the turn's language
	from whatsapp_chatbot import msgids

	code = normalise_language(language)
	table = {} if code == "en" else msgids.read_csv(code)
	return msgids.say(msgid, msgids.choose(code, table, msgids.catalogue()), table, values)


# What /help says about each built-in command, translated like TEXTS (the registry's descriptions
# are written for the model). Admin-defined commands have one description: shown as is.
COMMAND_HELP: dict[str, str] = {
	"stock_balance": "Stock of an item by warehouse",
	"item_price": "Price of an item",
	"party_balance": "What a customer owes us or we owe a supplier",
	"overdue_invoices": "Overdue sales invoices",
	"sales_summary": "Sales for a period: total, top customers and items",
	"pending_sales_orders": "Sales orders not yet delivered",
	"pending_purchase_orders": "Purchase orders not yet received",
	"find_documents": "List or count documents of any type",
	"get_document": "One document with its details",
	"totals_by_group": "Totals grouped by a field (e.g. sales per customer)",
	"send_document_pdf": "The PDF of a document",
	"export_list": "A list of documents as an Excel file",
	"export_report": "A report as a file",
	"create_sales_document": "Draft quotation, sales order or sales invoice",
	"submit_document": "Submit a draft document",
	"cancel_document": "Cancel a submitted document",
	"create_todo": "Create a task (ToDo)",
	"add_comment": "Comment on a document",
	"sales_chart": "Chart of sales over time",
	"stock_chart": "Chart of stock by warehouse",
	"attach_media_to_document": "Attach the photo or PDF you sent to a document",
	"draft_purchase_invoice_from_bill": "Draft a purchase invoice from a supplier's bill you sent",
	"documents_chart": "Chart of documents of any type",
	"subscribe": "A report that arrives by itself (every day, weekly…)",
	"subscriptions": "Your reports that arrive by themselves",
	"unsubscribe": "Stop one of them (/unsubscribe N)",
	"pending_approvals": "What waits for your approval (also /pending)",
	"apply_workflow_action": "Approve, reject… a document waiting for you",
}


def command_help(name: str, description: str, language: str | None) -> str:
	"""One line of /help: the built-in command's text in the user's language, else the first
	sentence of its own description (admin-defined commands: as the admin wrote it)."""
	if name in COMMAND_HELP:
		return translate(english_help(name), language)
	return (description or "").split(". ")[0].rstrip(".")
