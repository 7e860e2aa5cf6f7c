"""What the bot says by itself (not the model's answers), in the user's language.

Pure module: no frappe import. Spanish and English are complete; any other language falls back to
English. `guess_language` reads the country calling code of a phone number, for contacts whose
language nobody has set yet.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
	"unknown_contact": {
		"en": "Hello! This number is not linked to an account yet. Please ask your administrator to register it.",
		"es": "¡Hola! Este número todavía no está vinculado a una cuenta. Pide a tu administrador que lo registre.",
	},
	"not_configured": {
		"en": "Hi! The assistant is not configured yet: an administrator still has to set the OpenAI key. Your message was saved.",
		"es": "¡Hola! El asistente todavía no está configurado: falta que un administrador ponga la clave de OpenAI. Tu mensaje quedó guardado.",
	},
	"unsupported_type": {
		"en": "Sorry, I can't read this kind of message yet. Please write it as text.",
		"es": "Lo siento, todavía no puedo leer este tipo de mensaje. Escríbelo como texto, por favor.",
	},
	"assistant_unavailable": {
		"en": "Sorry, the assistant is not available right now. Your message was saved; please try again in a few minutes.",
		"es": "Lo siento, el asistente no está disponible en este momento. Tu mensaje quedó guardado; inténtalo de nuevo en unos minutos.",
	},
	"budget_exceeded": {
		"en": "You have used today's assistant allowance. It resets tomorrow; slash commands (/help) still work.",
		"es": "Ya usaste el cupo diario del asistente. Se renueva mañana; los comandos con / (/help) siguen funcionando.",
	},
	"not_understood": {
		"en": "Sorry, I couldn't turn that into something I can do. Could you say it another way? (/help lists what I can do)",
		"es": "Lo siento, no logré entender qué hacer. ¿Puedes decirlo de otra forma? (/help muestra lo que puedo hacer)",
	},
	"confirm_question": {
		"en": "Shall I go ahead? (ref {ref}, valid {minutes} min)",
		"es": "¿Lo hago? (ref {ref}, válido {minutes} min)",
	},
	"confirm_button": {"en": "Confirm", "es": "Confirmar"},
	"cancel_button": {"en": "Cancel", "es": "Cancelar"},
	"cancelled": {
		"en": "Cancelled ({ref}). Nothing was changed.",
		"es": "Cancelado ({ref}). No se cambió nada.",
	},
	"expired": {
		"en": "That confirmation expired ({ref}). Nothing was changed; ask again if you still want it.",
		"es": "Esa confirmación venció ({ref}). No se cambió nada; pídelo de nuevo si todavía lo quieres.",
	},
	"confirmation_invalid": {
		"en": "That button is no longer valid. Nothing was changed.",
		"es": "Ese botón ya no es válido. No se cambió nada.",
	},
	"confirmation_done": {
		"en": "Your answer to {ref} was already taken ({status}). Nothing was done again.",
		"es": "Tu respuesta a {ref} ya se había recibido ({status}). No se hizo nada otra vez.",
	},
	"confirmed_interrupted": {
		"en": "{ref} was interrupted while it ran, so it may or may not have been done. It will not run again, to avoid doing it twice: please check the document before asking again.",
		"es": "{ref} se interrumpió mientras se ejecutaba: puede que se haya hecho o no. No se ejecutará otra vez, para no hacerlo dos veces: revisa el documento antes de pedirlo de nuevo.",
	},
	"nothing_pending": {
		"en": "There is nothing waiting for your confirmation.",
		"es": "No hay nada pendiente de tu confirmación.",
	},
	"command_failed": {"en": "I couldn't do it: {error}", "es": "No pude hacerlo: {error}"},
	"not_permitted": {
		"en": "Sorry, your ERPNext user does not have permission for that.",
		"es": "Lo siento, tu usuario de ERPNext no tiene permiso para eso.",
	},
	"unknown_command": {
		"en": "Unknown command /{name}. Send /help for the list.",
		"es": "Comando /{name} desconocido. Envía /help para ver la lista.",
	},
	"help_header": {
		"en": "Write what you need in your own words, or use a command:",
		"es": "Escribe lo que necesitas con tus palabras, o usa un comando:",
	},
	"whoami": {
		"en": "You are *{full_name}* ({user}).\nRoles: {roles}\nLanguage: {lang}",
		"es": "Eres *{full_name}* ({user}).\nRoles: {roles}\nIdioma: {lang}",
	},
	"voice_too_long": {
		"en": "That voice note is too long for me. Could you send a shorter one, or write it?",
		"es": "Esa nota de voz es demasiado larga para mí. ¿Puedes mandar una más corta o escribirlo?",
	},
	"media_refused_executable": {
		"en": "I don't accept programs or scripts (this file is a {label}), so I didn't keep it. I can read photos and PDFs.",
		"es": "No acepto programas ni scripts (este archivo es un {label}), así que no lo guardé. Puedo leer fotos y PDF.",
	},
	"media_refused_archive": {
		"en": "I can't open compressed files ({label}), so I didn't keep it. Please send the photo or PDF itself.",
		"es": "No puedo abrir archivos comprimidos ({label}), así que no lo guardé. Mándame la foto o el PDF directamente, por favor.",
	},
	"media_refused_office": {
		"en": "I can't read Office files yet, so I didn't keep it. Please send it as a PDF or a photo.",
		"es": "Todavía no puedo leer archivos de Office, así que no lo guardé. Mándalo en PDF o como foto, por favor.",
	},
	"media_refused_unknown": {
		"en": "I can't read this kind of file, so I didn't keep it. I can read photos (JPEG, PNG, WebP, GIF) and PDFs.",
		"es": "No puedo leer este tipo de archivo, así que no lo guardé. Puedo leer fotos (JPEG, PNG, WebP, GIF) y PDF.",
	},
	"media_too_big": {
		"en": "That file is {size} MB and I accept up to {limit} MB. Could you send a smaller one, or a photo of the page that matters?",
		"es": "Ese archivo pesa {size} MB y acepto hasta {limit} MB. ¿Puedes mandar uno más pequeño, o una foto de la página que importa?",
	},
	"media_damaged": {
		"en": "The file arrived damaged (it doesn't match what WhatsApp says it sent), so I didn't keep it. Please send it again.",
		"es": "El archivo llegó dañado (no coincide con lo que WhatsApp dice que envió), así que no lo guardé. Mándalo de nuevo, por favor.",
	},
	"media_unreadable": {
		"en": "I couldn't open that file; it may be damaged. Please send it again, or a photo of it.",
		"es": "No pude abrir ese archivo; puede estar dañado. Mándalo de nuevo o una foto de él, por favor.",
	},
	"media_not_downloaded": {
		"en": "Sorry, I couldn't download what you sent from WhatsApp, so I didn't keep it. Please send it again, or write it.",
		"es": "Lo siento, no pude descargar lo que enviaste desde WhatsApp, así que no lo guardé. Mándalo de nuevo o escríbelo, por favor.",
	},
	"media_pdf_locked": {
		"en": "That PDF is protected with a password. Please send it without the password, or a photo of it.",
		"es": "Ese PDF está protegido con contraseña. Mándalo sin contraseña o una foto de él, por favor.",
	},
	"working": {
		"en": "⏳ Working on it (ref {ref}). I'll tell you how it goes.",
		"es": "⏳ Estoy en ello (ref {ref}). Te voy contando cómo va.",
	},
	"progress": {"en": "⏳ {ref}: {percent}% done{note}", "es": "⏳ {ref}: {percent}% listo{note}"},
	"long_failed": {
		"en": "Sorry, {ref} did not finish ({reason}). You can ask again.",
		"es": "Lo siento, {ref} no terminó ({reason}). Puedes pedirlo de nuevo.",
	},
	"long_cancelled": {
		"en": "Stopped {ref}. Nothing more will be sent.",
		"es": "Detuve {ref}. No se enviará nada más.",
	},
	"cancel_requested": {"en": "Stopping {ref}…", "es": "Deteniendo {ref}…"},
	"status_none": {
		"en": "Nothing is running for you right now.",
		"es": "No hay nada en curso para ti ahora.",
	},
	"status_line": {
		"en": "• {ref} {command}: {status}, {percent}% done",
		"es": "• {ref} {command}: {status}, {percent}% listo",
	},
	"help_human": {"en": "talk to a person", "es": "hablar con una persona"},
	"help_sites": {
		"en": "Other sites you may use: {sites} (say it, or add site={example} to a command).",
		"es": "Otros sitios que puedes usar: {sites} (dilo, o agrega site={example} a un comando).",
	},
	"person_requested": {
		"en": "I've let the team know: a person will write to you here as soon as possible. Meanwhile I can still help with anything else.",
		"es": "Ya avisé al equipo: una persona te escribirá por aquí lo antes posible. Mientras tanto puedo seguir ayudándote con lo que necesites.",
	},
	# remote sites (executors/remote.py): {site} is the short name people use ("norte")
	"remote_unauthorized": {
		"en": "The site {site} did not accept your access key. Please ask your administrator to check it.",
		"es": "El sitio {site} no aceptó tu clave de acceso. Pide a tu administrador que la revise.",
	},
	"remote_forbidden": {
		"en": "On {site} you don't have permission for that{detail}.",
		"es": "En {site} no tienes permiso para eso{detail}.",
	},
	"remote_rejected": {"en": "{site} did not accept it: {detail}", "es": "{site} no lo aceptó: {detail}"},
	"remote_not_found": {
		"en": "{site} could not find it{detail}.",
		"es": "{site} no lo encontró{detail}.",
	},
	"remote_server": {
		"en": "The site {site} had an internal error. Please try again later; the team can see it.",
		"es": "El sitio {site} tuvo un error interno. Inténtalo más tarde; el equipo puede verlo.",
	},
	"remote_timeout": {
		"en": "The site {site} took too long to answer. Please try again in a few minutes.",
		"es": "El sitio {site} tardó demasiado en responder. Inténtalo de nuevo en unos minutos.",
	},
	"remote_down": {
		"en": "I can't reach the site {site} right now: it seems to be down or unreachable.",
		"es": "No puedo conectar con el sitio {site} ahora mismo: parece caído o inaccesible.",
	},
	"remote_tunnel": {
		"en": "I couldn't connect to {site} through its secure tunnel. The team can see why.",
		"es": "No pude conectar con {site} por su túnel seguro. El equipo puede ver el motivo.",
	},
	# one per tunnels.TunnelError.kind ("tunnel_" + kind, as executors/rest.RemoteError.kind); "remote_tunnel" covers the rest
	"tunnel_host_key_mismatch": {
		"en": "I did not connect to {site}: its server's identity (SSH host key) is not the one on record, so I refused for safety. The team has been told what to check.",
		"es": "No me conecté a {site}: la identidad de su servidor (clave SSH) no es la registrada, así que por seguridad me negué. El equipo ya sabe qué revisar.",
	},
	"tunnel_auth_refused": {
		"en": "The server of {site} refused my SSH key, so I couldn't reach it. Please ask your administrator to check the tunnel key.",
		"es": "El servidor de {site} rechazó mi clave SSH, así que no pude entrar. Pide a tu administrador que revise la clave del túnel.",
	},
	"tunnel_connect_timeout": {
		"en": "The server of {site} did not answer in time. Please try again in a few minutes.",
		"es": "El servidor de {site} no respondió a tiempo. Inténtalo de nuevo en unos minutos.",
	},
	"tunnel_unreachable": {
		"en": "I can't reach the server of {site} right now (its secure tunnel doesn't answer).",
		"es": "No puedo llegar al servidor de {site} ahora mismo (su túnel seguro no responde).",
	},
	"tunnel_dropped": {
		"en": "The connection to {site} was cut while I was working on it, so it did not finish. Please try again.",
		"es": "La conexión con {site} se cortó mientras trabajaba en ello, así que no terminó. Inténtalo de nuevo.",
	},
	"tunnel_remote_down": {
		"en": "The site {site} seems to be down: its server answers, but the site behind it does not.",
		"es": "El sitio {site} parece caído: su servidor responde, pero el sitio no.",
	},
	"tunnel_config": {
		"en": "The connection to {site} is not set up correctly. Please ask your administrator to check it.",
		"es": "La conexión con {site} no está bien configurada. Pide a tu administrador que la revise.",
	},
	"remote_local_only": {
		"en": "{command} only works on this site, not on {site}.",
		"es": "{command} solo funciona en este sitio, no en {site}.",
	},
	"remote_needs_app": {
		"en": "That command needs the WhatsApp assistant installed on {site}.",
		"es": "Ese comando necesita el asistente de WhatsApp instalado en {site}.",
	},
	"remote_no_access": {
		"en": "You don't have access to the site {site}.",
		"es": "No tienes acceso al sitio {site}.",
	},
	# charts (tools/charts.py): the caption of the image, its titles, and what is said instead
	"chart_caption": {
		"en": "📊 {title} ({period}): {total} in total",
		"es": "📊 {title} ({period}): {total} en total",
	},
	"chart_empty": {
		"en": "Nothing to chart: {title} has no data for {period}.",
		"es": "No hay nada que graficar: {title} no tiene datos en {period}.",
	},
	"chart_too_many": {
		"en": "That would be {count} {grain} in one chart, too many to read on a phone. Ask by week or month, or for a shorter period.",
		"es": "Serían {count} {grain} en un gráfico, demasiados para leerlos en el teléfono. Pídelo por semana o por mes, o para un periodo más corto.",
	},
	"chart_bad_period": {
		"en": "The period starts after it ends.",
		"es": "El periodo empieza después de terminar.",
	},
	"chart_which_company": {
		"en": "Which company? You have no default company.",
		"es": "¿De qué empresa? No tienes una empresa predeterminada.",
	},
	"chart_usage": {
		"en": "Charts: /chart sales day|week|month|customer|item, /chart stock ITEM, /chart documents doctype=… (add from_date=YYYY-MM-DD to_date=YYYY-MM-DD).",
		"es": "Gráficas: /chart ventas día|semana|mes|clientes|artículos, /chart existencias ARTÍCULO, /chart documentos doctype=… (con from_date=AAAA-MM-DD to_date=AAAA-MM-DD).",
	},
	"chart_sales_day": {"en": "Sales by day", "es": "Ventas por día"},
	"chart_sales_week": {"en": "Sales by week", "es": "Ventas por semana"},
	"chart_sales_month": {"en": "Sales by month", "es": "Ventas por mes"},
	"chart_top_customers": {"en": "Top customers", "es": "Mejores clientes"},
	"chart_top_items": {"en": "Top items", "es": "Artículos más vendidos"},
	"chart_stock": {"en": "Stock of {item} by warehouse", "es": "Existencias de {item} por almacén"},
	"chart_by": {"en": "{what} by {by}", "es": "{what} por {by}"},
	"chart_count_of": {"en": "Number of {doctype}", "es": "Cantidad de {doctype}"},
	"chart_count": {"en": "count", "es": "cantidad"},
	"chart_day": {"en": "day", "es": "día"},
	"chart_week": {"en": "week", "es": "semana"},
	"chart_month": {"en": "month", "es": "mes"},
	"chart_days": {"en": "days", "es": "días"},
	"chart_weeks": {"en": "weeks", "es": "semanas"},
	"chart_months": {"en": "months", "es": "meses"},
	"failed": {
		"en": "Sorry, something went wrong while handling your message. It was saved and the team can retry it.",
		"es": "Lo siento, algo falló al procesar tu mensaje. Quedó guardado y el equipo puede reintentarlo.",
	},
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
	value = TEXTS[key]
	return value if isinstance(value, str) else value["en"]


def english_help(name: str) -> str:
	value = COMMAND_HELP[name]
	return value if isinstance(value, str) else value["en"]


def inline_translations(language: str) -> dict[str, str]:
	"""Translations still written here beside their English (entries not yet moved to
	translations/<lang>.csv); the CSV and the site's Translation records win over them."""
	table = {}
	for entries in (TEXTS, COMMAND_HELP):
		for value in entries.values():
			if isinstance(value, dict) and value.get(language):
				table[value["en"]] = value[language]
	return table


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
	table = {} if code == "en" else {**inline_translations(code), **msgids.read_csv(code)}
	return msgids.say(msgid, msgids.choose(code, table, msgids.catalogue()), table, values)


# What /help says about each built-in command, per language (the registry's descriptions are
# written for the model, in English). Admin-defined commands have one description: shown as is.
COMMAND_HELP: dict[str, dict[str, str]] = {
	"stock_balance": {"en": "Stock of an item by warehouse", "es": "Existencias de un artículo por almacén"},
	"item_price": {"en": "Price of an item", "es": "Precio de un artículo"},
	"party_balance": {
		"en": "What a customer owes us or we owe a supplier",
		"es": "Lo que nos debe un cliente o le debemos a un proveedor",
	},
	"overdue_invoices": {"en": "Overdue sales invoices", "es": "Facturas de venta vencidas"},
	"sales_summary": {
		"en": "Sales for a period: total, top customers and items",
		"es": "Ventas de un periodo: total, mejores clientes y artículos",
	},
	"pending_sales_orders": {
		"en": "Sales orders not yet delivered",
		"es": "Pedidos de venta pendientes de entregar",
	},
	"pending_purchase_orders": {
		"en": "Purchase orders not yet received",
		"es": "Órdenes de compra pendientes de recibir",
	},
	"find_documents": {
		"en": "List or count documents of any type",
		"es": "Listar o contar documentos de cualquier tipo",
	},
	"get_document": {"en": "One document with its details", "es": "Un documento con su detalle"},
	"totals_by_group": {
		"en": "Totals grouped by a field (e.g. sales per customer)",
		"es": "Totales agrupados por un campo (p. ej. ventas por cliente)",
	},
	"send_document_pdf": {"en": "The PDF of a document", "es": "El PDF de un documento"},
	"export_list": {"en": "A list of documents as an Excel file", "es": "Una lista de documentos en Excel"},
	"export_report": {"en": "A report as a file", "es": "Un reporte como archivo"},
	"create_sales_document": {
		"en": "Draft quotation, sales order or sales invoice",
		"es": "Borrador de cotización, pedido o factura de venta",
	},
	"submit_document": {"en": "Submit a draft document", "es": "Validar un documento en borrador"},
	"cancel_document": {"en": "Cancel a submitted document", "es": "Cancelar un documento validado"},
	"create_todo": {"en": "Create a task (ToDo)", "es": "Crear una tarea (ToDo)"},
	"add_comment": {"en": "Comment on a document", "es": "Comentar un documento"},
	"sales_chart": {"en": "Chart of sales over time", "es": "Gráfica de ventas en el tiempo"},
	"stock_chart": {"en": "Chart of stock by warehouse", "es": "Gráfica de existencias por almacén"},
	"attach_media_to_document": {
		"en": "Attach the photo or PDF you sent to a document",
		"es": "Adjuntar a un documento la foto o el PDF que enviaste",
	},
	"draft_purchase_invoice_from_bill": {
		"en": "Draft a purchase invoice from a supplier's bill you sent",
		"es": "Borrador de factura de compra a partir de la factura del proveedor que enviaste",
	},
	"documents_chart": {
		"en": "Chart of documents of any type",
		"es": "Gráfica de documentos de cualquier tipo",
	},
}


def command_help(name: str, description: str, language: str | None) -> str:
	"""One line of /help: the built-in command's text in the user's language, else the first
	sentence of its own description (admin-defined commands: as the admin wrote it)."""
	if name in COMMAND_HELP:
		return translate(english_help(name), language)
	return (description or "").split(". ")[0].rstrip(".")
