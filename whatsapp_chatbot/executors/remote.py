"""Run a command on a remote ERPNext site, as the remote user whose API key the contact holds there.

The same surface as executors/local.py (`execute` → Outcome, `run_recorded`), so the dispatcher
treats both alike. The command's own handler runs here, its reads and writes sent over REST
(tools/data.py → executors/rest.RestSource): the remote site's permissions apply, because the key
is a remote user's. Commands that cannot run remotely (`Command.remote` false) say so instead.

Who may use which site is permissions.remote_sites: a contact with no Chatbot Remote Access row
for a site is never offered it, and a call naming it anyway is refused here too.
"""

from __future__ import annotations

import time

import frappe
from frappe.utils import now_datetime

from whatsapp_chatbot import permissions, texts
from whatsapp_chatbot.executors import local
from whatsapp_chatbot.executors.local import Outcome
from whatsapp_chatbot.executors.rest import Client, RemoteError, RestSource
from whatsapp_chatbot.realtime.progress import Cancelled
from whatsapp_chatbot.tools import data
from whatsapp_chatbot.tools.errors import CommandError
from whatsapp_chatbot.tools.registry import LOCAL_SITE, SITE, Result

SITE_DOCTYPE = "Chatbot Remote Site"
ACCESS = "Chatbot Remote Access"


def site_for(contact: str | None, arguments: dict, command=None) -> str | None:
	"""The remote site these arguments run on: the one named, else the contact's default; None
	for this site. A command that cannot run remotely (`command.remote` false: sales summary,
	charts, ToDos, media, bills…) runs here whatever the default: the default is only for the
	commands it can serve (such a command is never offered a `site` parameter to name one)."""
	if command is not None and not command.remote:
		return None
	named = arguments.get(SITE)
	if named == LOCAL_SITE:
		return None
	return named or permissions.default_remote_site(contact)


def for_turn(turn, command, arguments: dict):
	"""The remote executor for this command and arguments, or None when they run here."""
	site = site_for(turn.contact.name, arguments, command)
	return RemoteExecutor(site, turn.contact.name, turn.language) if site else None


def client_for(contact: str, site: str) -> Client:
	"""An authenticated REST client for the contact's key on the site (RemoteError "no_access"
	if they hold none)."""
	access = permissions.remote_access(contact, site)
	if not access:
		raise RemoteError("no_access", site=site)
	row = frappe.get_doc(ACCESS, access)
	secret = row.get_password("api_secret", raise_exception=False)
	return Client(frappe.get_doc(SITE_DOCTYPE, site), row.api_key, secret or "")


def user_text(error: RemoteError, language: str, command: str = "") -> str:
	"""The failure in the user's words; the Desk gets str(error) besides."""
	kind = error.kind
	if kind.startswith("tunnel_"):
		key = kind if kind in texts.TEXTS else "remote_tunnel"
		return texts.text(key, language, site=error.site)
	if kind in ("forbidden", "not_found"):
		detail = f" ({error.detail})" if error.detail else ""
		return texts.text(f"remote_{kind}", language, site=error.site, detail=detail)
	if kind == "rejected":
		return texts.text("remote_rejected", language, site=error.site, detail=error.detail or "?")
	if kind == "local_only":
		return texts.text("remote_local_only", language, site=error.site, command=command)
	if f"remote_{kind}" in texts.TEXTS:
		return texts.text(f"remote_{kind}", language, site=error.site)
	return texts.text("remote_server", language, site=error.site)


class RemoteExecutor:
	def __init__(self, site: str, contact: str, language: str):
		self.site = site
		self.contact = contact
		self.language = language
		self.last_error: RemoteError | None = None  # for the Desk: what exactly the remote said
		self._source: RestSource | None = None

	def source(self) -> RestSource:
		if self._source is None:
			self._source = RestSource(client_for(self.contact, self.site))
		return self._source

	def execute(self, command, arguments: dict, user: str, call=None) -> Outcome:
		"""Run `call` (default: the command's handler) against the remote site."""
		arguments = {k: v for k, v in arguments.items() if k != SITE}
		self.last_error = None
		try:
			if not command.remote:
				raise RemoteError("local_only", site=self.site)
			source = self.source()
			with data.using(source), local.as_user(user):
				value = (call or command.handler)(**arguments)
			result = value if isinstance(value, Result) else Result(str(value))
			if isinstance(result.data, dict):
				result.data = {"site": self.site, **result.data}
			if self.site not in result.text:
				# a preview to confirm, a /command's answer, a file's caption: they say where
				result.text = f"*{self.site}* · {result.text}"
			return Outcome(result=result)
		except RemoteError as e:
			self.last_error = e
			return Outcome(
				error=user_text(e, self.language, command.name), refused=e.kind == "forbidden", worded=True
			)
		except frappe.PermissionError as e:
			return Outcome(error=f"Not permitted: {local._message(e) or command.name}", refused=True)
		except (CommandError, frappe.ValidationError) as e:
			return Outcome(error=local._message(e) or type(e).__name__)
		except Cancelled:
			raise
		except Exception:
			frappe.log_error(
				title=f"WhatsApp command {command.name} failed on {self.site}",
				message=frappe.get_traceback(with_context=False),
			)
			return Outcome(error=local.failed_unexpectedly(command.name))
		finally:
			frappe.local.message_log = []

	def desk_error(self, outcome: Outcome) -> str | None:
		"""The error as the Desk records it: the user's text plus what the remote answered."""
		if outcome.ok:
			return None
		return f"{outcome.error} [{self.last_error}]" if self.last_error else outcome.error

	def run_recorded(self, turn, command, arguments: dict, doc=None) -> tuple[object, Outcome]:
		"""Execute and keep the record (remote_site says where), as local.run_recorded does."""
		started = time.monotonic()
		if doc is None:
			doc = local.record(
				turn, command, arguments, "Running", started_at=now_datetime(), remote_site=self.site
			)
		else:
			doc.db_set({"status": "Running", "started_at": now_datetime(), "remote_site": self.site})
		outcome = self.execute(command, arguments, doc.run_as)
		doc.db_set(
			{
				"status": "Succeeded" if outcome.ok else "Failed",
				"finished_at": now_datetime(),
				"duration": time.monotonic() - started,
				"result": outcome.result.text[:10000] if outcome.ok else None,
				"error": self.desk_error(outcome),
			}
		)
		return doc, outcome
