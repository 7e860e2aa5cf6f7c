"""A remote ERPNext site over Frappe's REST API, as the remote user whose API key a contact holds.

`Client` speaks HTTP (`Authorization: token key:secret`, the site's timeout and TLS setting, the
base URL and Host header from executors/tunnels.py: direct, or a local port forwarded over SSH) and
turns every failure into a `RemoteError` with a `kind` the executor words for the user: the key
refused (401), the remote user may not (403), the remote site said no (417 and other 4xx), the
remote site broke (5xx), too slow (timeout), not there (connection refused, DNS, TLS), or the
tunnel's own reasons. The secret is never put in an error, a log or a record.

`RestSource` is the data source of tools/data.py on the remote site: the same calls the commands
make here (get_list, count, get_doc, insert, submit, cancel, query_report.run, PDF), sent to
frappe.client.* so the remote site's own permissions decide.
"""

from __future__ import annotations

import json

import frappe
import requests
from frappe import _

from whatsapp_chatbot.tools.errors import CommandError

META_SECONDS = 300


class RemoteError(Exception):
	"""`kind`: unauthorized | forbidden | rejected | not_found | server | timeout | down |
	needs_app, or a tunnel kind (tunnel_<kind>). `detail`: what the remote said, for the Desk."""

	def __init__(self, kind: str, detail: str = "", status: int | None = None, site: str = ""):
		super().__init__(f"{site}: {kind}" + (f" (HTTP {status})" if status else "") + f": {detail}")
		self.kind = kind
		self.detail = detail
		self.status = status
		self.site = site


def endpoint(site_doc) -> tuple[str, str | None]:
	"""(base URL, Host header): directly, or through the site's SSH tunnel (executors/tunnels.py)."""
	if not site_doc.use_ssh_tunnel:
		return site_doc.base_url.rstrip("/"), None
	from whatsapp_chatbot.executors import tunnels

	try:
		return tunnels.endpoint(site_doc)
	except tunnels.TunnelError as e:
		raise RemoteError(f"tunnel_{e.kind}", str(e), site=site_doc.name) from e


class Client:
	def __init__(self, site_doc, api_key: str, api_secret: str):
		self.site_doc = site_doc
		self.site = site_doc.name
		self.timeout = float(site_doc.timeout or 20)
		self.base_url, host = endpoint(site_doc)
		self.session = requests.Session()
		self.session.verify = bool(site_doc.verify_tls)
		self.session.headers["Authorization"] = f"token {api_key}:{api_secret}"
		self.session.headers["Accept"] = "application/json"
		if host:
			self.session.headers["Host"] = host

	def call(self, method: str, *, post: bool = False, **params):
		"""`/api/method/<method>`: its `message`, or RemoteError."""
		response = self.request(method, post=post, **params)
		try:
			body = response.json()
		except ValueError as e:
			raise RemoteError("server", "the answer was not JSON", response.status_code, self.site) from e
		return body.get("message") if "message" in body else body

	def download(self, method: str, **params) -> tuple[bytes, str]:
		response = self.request(method, **params)
		return response.content, response.headers.get("Content-Type", "")

	def request(self, method: str, *, post: bool = False, **params) -> requests.Response:
		values = {
			k: json.dumps(v, default=str) if isinstance(v, dict | list) else v
			for k, v in params.items()
			if v is not None
		}
		if self.site_doc.use_ssh_tunnel:
			self._current_port()
		url = f"{self.base_url}/api/method/{method}"
		timeout = self._timeout(method)
		try:
			if post:
				response = self.session.post(url, data=values, timeout=timeout)
			else:
				response = self.session.get(url, params=values, timeout=timeout)
		except requests.Timeout as e:
			raise self._tunnel_reason(e) or RemoteError("timeout", method, site=self.site) from e
		except requests.RequestException as e:
			# connection refused, DNS, TLS: the site is not there (the exception text may hold the
			# URL, never the key: it travels in a header)
			raise self._tunnel_reason(e) or RemoteError("down", type(e).__name__, site=self.site) from e
		if response.status_code >= 400:
			raise error_from(response, self.site)
		return response

	def _timeout(self, method: str) -> float:
		"""The site's timeout, or less in a turn whose job has less time left (jobs/budget.py): the
		turn then tells the user the site was too slow instead of its job being killed."""
		spent = frappe.flags.get("whatsapp_chatbot_budget")
		if spent is None:
			return self.timeout
		timeout = spent.wait(self.timeout)
		if timeout is None:
			raise RemoteError("timeout", f"{method}: no time left in this turn", site=self.site)
		return timeout

	def _current_port(self) -> None:
		"""A tunnel's local port closes with its SSH connection (idle, dropped): take the current
		one, reopening the connection if need be."""
		from whatsapp_chatbot.executors import tunnels

		if not tunnels.serving(self.base_url):
			self.base_url, _host = endpoint(self.site_doc)

	def _tunnel_reason(self, exc) -> RemoteError | None:
		if not self.site_doc.use_ssh_tunnel:
			return None
		from whatsapp_chatbot.executors import tunnels

		reason = tunnels.explain(self.site_doc, exc)
		return RemoteError(f"tunnel_{reason.kind}", str(reason), site=self.site) if reason else None

	def close(self) -> None:
		self.session.close()


def error_from(response: requests.Response, site: str) -> RemoteError:
	status = response.status_code
	detail, exc_type = server_message(response)
	if status == 401 or exc_type == "AuthenticationError":
		kind = "unauthorized"
	elif status == 403 or exc_type == "PermissionError":
		kind = "forbidden"
	elif status == 404 or exc_type == "DoesNotExistError":
		kind = "not_found"
	elif status >= 500:
		kind = "server"
	else:  # 417 ValidationError, 409 duplicate, 400…
		kind = "rejected"
	return RemoteError(kind, detail, status, site)


def server_message(response: requests.Response) -> tuple[str, str]:
	"""What frappe.throw said on the remote site (its _server_messages), and the exception type."""
	try:
		body = response.json()
	except ValueError:
		return "", ""
	texts = []
	for raw in json.loads(body.get("_server_messages") or "[]"):
		try:
			message = json.loads(raw)
			texts.append(message.get("message", "") if isinstance(message, dict) else str(message))
		except (TypeError, ValueError):
			texts.append(str(raw))
	text = frappe.utils.strip_html(" ".join(t for t in texts if t)).strip()
	if not text and body.get("exception"):
		text = str(body["exception"]).split(":", 1)[-1].strip()[:300]
	return text, body.get("exc_type") or ""


def as_dict(value):
	"""JSON from the remote → frappe._dict all the way down (row.field works as on this site)."""
	if isinstance(value, dict):
		return frappe._dict({k: as_dict(v) for k, v in value.items()})
	if isinstance(value, list):
		return [as_dict(v) for v in value]
	return value


class RestSource:
	"""tools/data.py's source for a remote site."""

	remote = True

	def __init__(self, client: Client):
		self.client = client
		self.site = client.site
		self._metas: dict = {}

	def meta(self, doctype: str):
		"""The remote DocType (and its child tables), kept META_SECONDS in Redis per site: a
		DocType's fields change with deployments, not between turns."""
		name = (doctype or "").strip()
		if name not in self._metas:
			key = f"whatsapp_chatbot:remote_meta:{self.site}:{name}"
			docs = frappe.cache.get_value(key)
			if docs is None:
				docs = self._fetch_meta(name)
				frappe.cache.set_value(key, docs, expires_in_sec=META_SECONDS)
			self._metas.update({d["name"]: remote_meta(d) for d in docs})
			if name not in self._metas:
				raise CommandError(
					_("There is no document type called “{doctype}” on {site}.").format(
						doctype=name, site=self.site
					)
				)
		return self._metas[name]

	def _fetch_meta(self, name: str) -> list[dict]:
		try:
			response = self.client.request("frappe.desk.form.load.getdoctype", doctype=name)
		except RemoteError as e:
			if e.kind in ("not_found", "rejected"):
				raise CommandError(
					_("There is no document type called “{doctype}” on {site}.").format(
						doctype=name, site=self.site
					)
				) from e
			raise
		return response.json().get("docs") or []

	def get_list(self, doctype: str, *, pluck: str | None = None, **options) -> list:
		fields = [pluck] if pluck else options.pop("fields", None) or ["name"]
		rows = self.client.call(
			"frappe.client.get_list",
			doctype=doctype,
			fields=fields,
			filters=options.get("filters"),
			order_by=options.get("order_by"),
			group_by=options.get("group_by"),
			limit_start=options.get("limit_start"),
			limit_page_length=options.get("limit_page_length") or options.get("limit") or 20,
			as_dict=0 if options.get("as_list") else None,
			post=True,
		)
		if options.get("as_list"):
			return rows or []
		rows = as_dict(rows or [])
		return [row.get(pluck) for row in rows] if pluck else rows

	def count(self, doctype: str, filters=None) -> int:
		return int(self.client.call("frappe.client.get_count", doctype=doctype, filters=filters) or 0)

	def exists(self, doctype: str, name: str) -> bool:
		return bool(self.get_list(doctype, filters={"name": name}, pluck="name", limit_page_length=1))

	def value(self, doctype: str, name: str, fieldname: str):
		row = self.client.call("frappe.client.get_value", doctype=doctype, fieldname=fieldname, filters=name)
		return (row or {}).get(fieldname)

	def get_doc(self, doctype: str, name: str):
		return as_dict(self.client.call("frappe.client.get", doctype=doctype, name=name))

	def insert(self, values: dict):
		return as_dict(self.client.call("frappe.client.insert", doc=values, post=True))

	def submit(self, doc):
		return as_dict(self.client.call("frappe.client.submit", doc=dict(doc), post=True))

	def cancel(self, doc):
		return as_dict(
			self.client.call("frappe.client.cancel", doctype=doc.doctype, name=doc.name, post=True)
		)

	def run_report(self, name: str, filters: dict) -> dict:
		return as_dict(
			self.client.call(
				"frappe.desk.query_report.run",
				report_name=name,
				filters=filters,
				ignore_prepared_report=1,
				post=True,
			)
		)

	def report_name(self, text: str) -> str | None:
		return (text or "").strip() or None  # the remote site says if there is no such report

	def pdf(self, doc) -> bytes:
		content, content_type = self.client.download(
			"frappe.utils.print_format.download_pdf", doctype=doc.doctype, name=doc.name
		)
		if "pdf" not in content_type:
			raise RemoteError("server", f"expected a PDF, got {content_type}", site=self.site)
		return content


def remote_meta(values: dict):
	"""A Meta built from the remote site's DocType (its own fields and custom fields), so names are
	checked against the remote, not against this site."""
	from frappe.model.meta import Meta

	class RemoteMeta(Meta):
		def process(self):
			self.init_field_caches()  # this site's custom fields and property setters do not apply

	values = {k: v for k, v in values.items() if not k.startswith("__")}
	return RemoteMeta(frappe.get_doc(values))
