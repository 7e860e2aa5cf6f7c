# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

import re
from urllib.parse import urlsplit

import frappe
from frappe import _
from frappe.model.document import Document

from whatsapp_chatbot.review.untrusted_fields import ShownAsText

SITE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


class ChatbotRemoteSite(ShownAsText, Document):
	def autoname(self):
		self.site_name = normalise_site_name(self.site_name)
		self.name = self.site_name

	def validate(self):
		self.site_name = normalise_site_name(self.site_name)
		if not self.is_new() and self.site_name != self.name:
			frappe.throw(_("The site name cannot change: create a new remote site instead"))
		self.base_url = (self.base_url or "").strip().rstrip("/")
		parts = urlsplit(self.base_url)
		if parts.scheme not in ("http", "https") or not parts.hostname:
			frappe.throw(_("Base URL must be an http(s) address such as https://norte.example.com"))
		if parts.path or parts.query:
			frappe.throw(_("Base URL is the site's address only, without a path"))
		if not self.timeout or self.timeout <= 0:
			self.timeout = 20
		if self.use_ssh_tunnel:
			self._validate_tunnel()

	def _validate_tunnel(self):
		missing = [
			self.meta.get_label(field)
			for field in ("ssh_host", "ssh_user", "ssh_host_key", "remote_port")
			if not self.get(field)
		]
		if not self.ssh_private_key:
			missing.append(self.meta.get_label("ssh_private_key"))
		if missing:
			frappe.throw(_("An SSH tunnel needs: {0}").format(", ".join(missing)))
		self.ssh_port = self.ssh_port or 22
		self.remote_host = (self.remote_host or "127.0.0.1").strip()
		self.ssh_host_key = " ".join((self.ssh_host_key or "").split())
		if len(self.ssh_host_key.split(" ")) < 2:
			frappe.throw(_("SSH Host Key must look like a known_hosts entry: 'ssh-ed25519 AAAA…'"))
		# parsed as the tunnel will parse them, so a bad paste is caught now and not at the first chat
		from whatsapp_chatbot.executors.tunnel_config import BadTunnelConfig, load_private_key, parse_host_key

		try:
			parse_host_key(self.ssh_host_key)
			if set(self.ssh_private_key) != {"*"}:  # asterisks: the stored key, unchanged
				load_private_key(self.ssh_private_key)
		except BadTunnelConfig as e:
			frappe.throw(str(e), title=_("SSH tunnel"))


def normalise_site_name(value: str | None) -> str:
	name = (value or "").strip().lower()
	if not SITE_NAME.match(name):
		frappe.throw(
			_(
				"Site Name must be a short word of lower case letters, digits, - or _ (e.g. norte): {0}"
			).format(value)
		)
	return name
