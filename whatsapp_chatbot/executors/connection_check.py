"""The "Test connection" of a Chatbot Remote Site: each step the bot's own requests take, timed,
stopping at the first that fails, with the reason in words an admin can act on.

1. tunnel: a fresh SSH connection (its own pool, so a stale pooled one cannot hide a problem): TCP,
   handshake, the pinned host key compared, the private key accepted;
2. site: `/api/method/ping` through it (or directly), answered by Frappe with the remote site resolved
   from the Host header;
3. login: `/api/method/frappe.auth.get_logged_user` with an API key: the one typed for the test, else
   the manager's own Chatbot Remote Access for that site; without either the step says what to do.

The key is sent only in the Authorization header and is never stored or put in the result.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import frappe
import requests

from whatsapp_chatbot.executors import tunnels

ACCESS = "Chatbot Remote Access"


@dataclass
class Step:
	step: str
	ok: bool
	detail: str
	ms: int


@dataclass
class Report:
	site: str
	steps: list[Step] = field(default_factory=list)
	ok: bool = False
	total_ms: int = 0
	user: str | None = None

	def as_dict(self) -> dict:
		return asdict(self)

	def summary(self) -> str:
		lines = [f"{'OK' if s.ok else 'FAILED'} {s.step} ({s.ms} ms): {s.detail}" for s in self.steps]
		return "\n".join([*lines, f"total {self.total_ms} ms"])


def run(site, api_key: str | None = None, api_secret: str | None = None) -> Report:
	report = Report(site=site.name)
	started = time.monotonic()
	pool = tunnels.TunnelPool(idle_timeout=30)
	try:
		_check(site, report, pool, _credentials(site, api_key, api_secret))
	finally:
		pool.close()
		report.total_ms = _ms(started)
		report.ok = bool(report.steps) and all(s.ok for s in report.steps)
	return report


def _check(site, report: Report, pool: tunnels.TunnelPool, credentials) -> None:
	timeout = float(site.timeout or 20)
	base_url, host = site.base_url.rstrip("/"), None
	if site.use_ssh_tunnel:
		begun = time.monotonic()
		try:
			config = tunnels.TunnelConfig.from_site(site)
			local_port = pool.forward(config, *tunnels.remote_target(site))
			tunnel = pool.peek(config.site)
		except tunnels.TunnelError as e:
			report.steps.append(Step("tunnel", False, f"{e.kind}: {e}", _ms(begun)))
			return
		key = tunnel.transport.get_remote_server_key()
		report.steps.append(
			Step(
				"tunnel",
				True,
				f"{config.ssh_user}@{config.ssh_host}:{config.ssh_port}, host key {key.get_name()} "
				f"{tunnels.fingerprint(key)} as pinned, forwarding to "
				"{}:{}".format(*tunnels.remote_target(site)),
				_ms(begun),
			)
		)
		base_url, host = f"http://127.0.0.1:{local_port}", tunnels.host_header(site)
	session = requests.Session()
	session.verify = bool(site.verify_tls)
	if host:
		session.headers["Host"] = host

	def get(method: str):
		begun = time.monotonic()
		try:
			response = session.get(f"{base_url}/api/method/{method}", timeout=timeout)
		except requests.RequestException as e:
			reason = tunnels.explain(site, e, pool)
			detail = f"{reason.kind}: {reason}" if reason else f"no answer ({type(e).__name__})"
			return None, detail, _ms(begun)
		return response, "", _ms(begun)

	response, detail, ms = get("ping")
	if response is None or not response.ok:
		detail = detail or f"HTTP {response.status_code}: is {host or base_url} a Frappe site there?"
		report.steps.append(Step("site", False, detail, ms))
		return
	report.steps.append(Step("site", True, f"Frappe answered ping ({response.status_code})", ms))

	if not credentials:
		report.steps.append(
			Step("login", False, "no API key: enter one for the test, or add your own Remote Access", 0)
		)
		return
	source, key, secret = credentials
	session.headers["Authorization"] = f"token {key}:{secret}"
	response, detail, ms = get("frappe.auth.get_logged_user")
	if response is None:
		report.steps.append(Step("login", False, detail, ms))
	elif response.status_code in (401, 403):
		report.steps.append(Step("login", False, f"the remote site refused the {source} (HTTP 401/403)", ms))
	elif not response.ok:
		report.steps.append(Step("login", False, f"HTTP {response.status_code}", ms))
	else:
		report.user = response.json().get("message")
		report.steps.append(Step("login", True, f"logged in as {report.user} with the {source}", ms))


def _credentials(site, api_key: str | None, api_secret: str | None):
	"""(where the key came from, key, secret): typed for the test, else the manager's own access."""
	if api_key and api_secret:
		return "key entered for the test", api_key.strip(), api_secret.strip()
	contacts = frappe.get_all("Chatbot Contact", filters={"user": frappe.session.user}, pluck="name")
	if not contacts:
		return None
	access = frappe.get_all(
		ACCESS, filters={"contact": ("in", contacts), "remote_site": site.name}, pluck="name", limit=1
	)
	if not access:
		return None
	row = frappe.get_doc(ACCESS, access[0])
	secret = row.get_password("api_secret", raise_exception=False)
	return (f"key of your Remote Access {row.name}", row.api_key, secret) if row.api_key and secret else None


def _ms(since: float) -> int:
	return round((time.monotonic() - since) * 1000)
