"""What an RQ worker's parent loads before it forks a work-horse per job (commands/__init__.py).

Frappe v15 runs every job in a process forked from the worker (`bench worker`, and each worker of
`bench worker-pool`); a module the parent never imported is imported again by every job, and a
turn imported some 70 of them (Frappe's DocType controllers, the doc_events handlers every app
registers for all DocTypes, our own DocTypes and tools, the OpenAI SDK's chat resource): tens of
milliseconds a turn. Loaded once here, the work-horses share them copy-on-write (Frappe freezes
the GC after this, so they stay shared), as Frappe's own start_worker_pool does for its modules.
Only worker processes do this: the CLI's other commands and web requests never run it.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

# bench's global options that take a value, before the command's name
_VALUED_OPTIONS = ("--site",)


def is_worker_command(argv: list[str]) -> bool:
	"""Is this process `bench worker` or `bench worker-pool` (`bench --site X worker` included)?
	bench runs `python -m frappe.utils.bench_helper frappe [global options] COMMAND ...`."""
	tokens = argv[1:]
	if tokens[:1] == ["frappe"]:
		tokens = tokens[1:]
	index = 0
	while index < len(tokens) and tokens[index].startswith("-"):
		index += 2 if tokens[index] in _VALUED_OPTIONS else 1
	return index < len(tokens) and tokens[index] in ("worker", "worker-pool")


# app modules no worker runs: the tests and their stand-ins, patches, the CLI
SKIPPED = ("whatsapp_chatbot.tests", "whatsapp_chatbot.patches", "whatsapp_chatbot.commands")

# Frappe's modules a turn's saves and queries import after the fork (turn_profile.py lists them):
# the controllers of the DocTypes a save's meta reads, the query builder, realtime and logging.
FRAMEWORK = (
	"frappe.core.doctype.user.user",
	"frappe.core.doctype.docfield.docfield",
	"frappe.core.doctype.docperm.docperm",
	"frappe.core.doctype.has_role.has_role",
	"frappe.core.doctype.doctype_link.doctype_link",
	"frappe.core.doctype.system_settings.system_settings",
	"frappe.core.doctype.user_permission.user_permission",
	"frappe.database.mariadb.database",
	"frappe.database.query",
	"frappe.database.operator_map",
	"frappe.desk.form.assign_to",
	"frappe.desk.form.linked_with",
	"frappe.email.doctype.notification.notification",
	"frappe.model.create_new",
	"frappe.realtime",
	"frappe.recorder",
	"frappe.search.full_text_search",
	"frappe.search.sqlite_search",
	"frappe.utils.logger",
	"frappe.utils.nestedset",
	"logging.handlers",
	"netrc",  # requests reads ~/.netrc on each new session (the Graph client's)
	"openai",
	"openai.resources.chat.chat",
	"openai.resources.chat.completions.completions",
)


# what Frappe's own `bench worker-pool` loads before it forks its workers
FRAPPE_POOL = (
	"frappe.database.query",
	"frappe.query_builder",
	"frappe.utils",
	"frappe.utils.safe_exec",
	"frappe.utils.scheduler",
	"frappe.utils.typing_validations",
	"frappe.website.path_resolver",
)


def pool_parent(with_ours: bool = True) -> None:
	"""The parent of `bench whatsapp-chatbot worker-pool` (worker_pool.py): Frappe's pool list,
	and ours unless turned off."""
	for name in FRAPPE_POOL:
		_import(name)
	if with_ours:
		worker_parent()


def worker_parent() -> None:
	"""Never fails: a worker that could not preload still works (its jobs import what they use)."""
	for name in FRAMEWORK:
		_import(name)
	for stage in (app_modules, doc_event_handlers, lazy_tables, _ours):
		try:
			stage()
		except Exception as error:  # said in the worker's log, never a reason not to start
			print(f"whatsapp_chatbot: worker preload {stage.__name__} failed: {error!r}", file=sys.stderr)


def _ours() -> None:
	from whatsapp_chatbot import msgids
	from whatsapp_chatbot.charts import render
	from whatsapp_chatbot.interpreter import client

	render.preload()  # matplotlib and its fonts
	msgids.catalogue()  # the bot's sentences, read from its code (about 0.27 s)
	client.preload()  # the process's HTTP client for OpenAI, and the SDK's first-use work


def lazy_tables() -> None:
	"""Libraries that build tables on first use, which every work-horse would build again: pytz's
	zone name lookups (14 ms before the first `now()` of a job converts to the site's time zone;
	each zone after that costs under 1 ms) and sqlparse's lexer (7 ms, at the first `get_all` with
	a filter: Frappe sanitises each filter's column with it)."""
	import pytz
	import sqlparse

	pytz.timezone("Etc/UTC")  # not "UTC", which pytz answers without its tables
	sqlparse.format("name", strip_comments=True, keyword_case="lower")


def app_modules() -> None:
	"""Every module of the app a worker may run (jobs, pipeline, tools, DocType controllers)."""
	import whatsapp_chatbot

	def walk(path, prefix: str) -> None:
		for module in pkgutil.iter_modules(path, prefix):
			if module.name.startswith(SKIPPED):
				continue
			_import(module.name)
			package = sys.modules.get(module.name)
			if module.ispkg and package is not None:
				walk(package.__path__, module.name + ".")

	walk(whatsapp_chatbot.__path__, "whatsapp_chatbot.")


def doc_event_handlers() -> None:
	"""The modules of the doc_events handlers of every installed app that run on any DocType's
	save ("*"), or on the app's own DocTypes: each save of a turn imports them otherwise."""
	import frappe

	events = []
	try:
		with frappe.init_site():  # no site: each app's own hooks (the installed apps need a database)
			for app in frappe.get_all_apps(with_internal_apps=False):
				events.append(frappe.get_hooks("doc_events", app_name=app) or {})
	except Exception:  # no bench config to read: the jobs import what they use
		return
	for doctypes in events:
		for doctype, handlers in doctypes.items():
			names = doctype if isinstance(doctype, list | tuple) else [doctype]
			if not any(n == "*" or str(n).startswith(("Chatbot ", "WhatsApp Chatbot")) for n in names):
				continue
			for paths in handlers.values():
				for path in paths if isinstance(paths, list | tuple) else [paths]:
					_import(str(path).rsplit(".", 1)[0])


def _import(name: str) -> None:
	if name in sys.modules:
		return
	try:
		importlib.import_module(name)
	except Exception:  # another Frappe version moved it: the job imports what it needs
		pass
