"""A long command on a remote site, run from this site's long job (jobs/run_long_command.py).

When the remote site has this app, the command is started there (api/remote.start_command, as the
remote user whose key the contact holds; a write was confirmed here before it got this far) and
followed over the remote's Socket.IO, or by polling over REST when the socket cannot be opened or
drops (realtime/follow.py). Its progress is relayed through this job's tracker, so the Desk and
WhatsApp see it exactly as for local work; its text or file comes back as the Outcome the job
delivers. When the remote site does not have the app, the command's REST calls run from here.

What happened is recorded on the local Chatbot Command: remote_site, remote_command, and in
remote_follow how the work was followed (and why REST, when it was).
"""

from __future__ import annotations

import mimetypes
from urllib.parse import urlsplit

from whatsapp_chatbot.executors.local import Outcome
from whatsapp_chatbot.executors.remote import RemoteExecutor, site_for, user_text
from whatsapp_chatbot.executors.rest import RemoteError
from whatsapp_chatbot.msgids import _
from whatsapp_chatbot.realtime import follow, progress, side_db
from whatsapp_chatbot.tools.registry import SITE, Result

API = "whatsapp_chatbot.api.remote"


def target(doc, arguments: dict, command=None) -> str | None:
	"""The remote site a queued command runs on (recorded when it was queued, else its arguments;
	never one for a command that cannot run remotely)."""
	if command is not None and not command.remote:
		return None
	return doc.remote_site or site_for(doc.contact, arguments, command)


def run(doc, command, arguments: dict, site: str, language: str) -> Outcome:
	executor = RemoteExecutor(site, doc.contact, language)
	_note(doc, "remote_site", site)
	try:
		client = executor.source().client
		info = hello(client)
	except RemoteError as e:
		_note(doc, "remote_follow", f"not started: {e}")
		return Outcome(error=user_text(e, language, command.name), refused=e.kind == "forbidden")
	if info is None and command.source == "definition":
		error = RemoteError("needs_app", f"{command.name} is defined on this site only", site=site)
		_note(
			doc,
			{"remote_follow": "not started: the remote site has no whatsapp_chatbot", "error": str(error)},
		)
		return Outcome(error=user_text(error, language, command.name))
	if info is None:
		_note(
			doc,
			"remote_follow",
			"REST calls from this site's long job: the remote site has no whatsapp_chatbot",
		)
		outcome = executor.execute(command, arguments, doc.run_as)
		if not outcome.ok:
			_note(doc, "error", executor.desk_error(outcome))
		return outcome
	return _started_there(doc, command, arguments, client, info, language)


def _note(doc, *values) -> None:
	"""What happened, on the command at once (side connection): the job's transaction stays
	the command's own, and a cancel keeps the note (realtime/side_db.py)."""
	with side_db.bookkeeping():
		doc.db_set(*values)


def hello(client) -> dict | None:
	"""The remote site's name, user and Socket.IO port if it has this app; None if it has not."""
	try:
		return client.call(f"{API}.hello")
	except RemoteError as e:
		if e.kind in ("not_found", "rejected"):  # Frappe: "Failed to get method for command …"
			return None
		raise


def _started_there(doc, command, arguments: dict, client, info: dict, language: str) -> Outcome:
	values = {k: v for k, v in arguments.items() if k != SITE}
	try:
		remote_name = client.call(
			f"{API}.start_command",
			command=command.name,
			arguments=values,
			confirmed=1 if command.needs_confirmation else 0,  # confirmed here before it was queued
			post=True,
		)
	except RemoteError as e:
		_note(doc, {"remote_follow": f"not started: {e}", "error": str(e)})
		return Outcome(error=user_text(e, language, command.name), refused=e.kind == "forbidden")
	_note(doc, "remote_command", remote_name)
	follower = follow.Follower(
		client,
		remote_name,
		info.get("site") or urlsplit(client.site_doc.base_url).hostname,
		socket_url(client, info),
		on_progress=progress.report,
		check_cancelled=progress.check_cancelled,
	)
	try:
		final = follower.run()
	except progress.Cancelled:
		try:
			client.call(f"{API}.cancel_command", name=remote_name, post=True)
		except RemoteError:
			pass  # the remote command then runs to its end; nobody is told about it
		_note(doc, "remote_follow", follower.note)
		raise
	except RemoteError as e:
		_note(doc, {"remote_follow": f"{follower.note}; lost: {e}", "error": str(e)})
		return Outcome(error=user_text(e, language, command.name))
	_note(doc, "remote_follow", f"{follower.note} ({follower.socket_events} Socket.IO events)")
	return _outcome(client, remote_name, final)


def socket_url(client, info: dict) -> str | None:
	"""The remote Socket.IO server. Directly: the site's own address, where production serves
	/socket.io (nginx), unless the Remote Site names a port. Through a tunnel: a local port forwarded
	to the port set on the Remote Site, else to the one the remote says it listens on."""
	site_doc = client.site_doc
	base = urlsplit(site_doc.base_url)
	if site_doc.use_ssh_tunnel:
		from whatsapp_chatbot.executors import tunnels

		port = site_doc.socketio_port or info.get("socketio_port")
		if not port:
			return None
		host = site_doc.remote_host or base.hostname
		return f"http://127.0.0.1:{tunnels.forward(site_doc, host, int(port))}"
	if site_doc.socketio_port:
		return f"{base.scheme}://{base.hostname}:{site_doc.socketio_port}"
	return f"{base.scheme}://{base.netloc}"


def _outcome(client, remote_name: str, final: dict) -> Outcome:
	status = final.get("status")
	if status == "Succeeded":
		attachment = None
		if final.get("file_name"):
			content, content_type = client.download(f"{API}.command_file", name=remote_name)
			# Frappe sends downloads as application/octet-stream: the name says more
			mime = mimetypes.guess_type(final["file_name"])[0] or content_type.split(";")[0]
			attachment = (final["file_name"], content, mime)
		return Outcome(result=Result(final.get("result") or "", attachment=attachment))
	error = final.get("error") or _("It ended as {status} on {site}.").format(
		status=_(status or ""), site=client.site
	)
	return Outcome(error=error, refused=error.startswith("Not permitted"))
