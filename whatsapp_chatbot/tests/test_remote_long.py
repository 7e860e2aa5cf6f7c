"""Long work on the remote site (remote.localhost under gunicorn, which has this app): started there
as the remote user through api/remote.start_command, followed over the remote's Socket.IO server
(Frappe's own, node apps/frappe/socketio.js), its progress and its file relayed to WhatsApp (the
fake Graph server) by this site's long job; and the same with the socket blocked, through REST
polling, said on the Chatbot Command. Real RQ workers run both sites' jobs."""

from __future__ import annotations

import time

import frappe

from whatsapp_chatbot import texts
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests import remote_fixture as rf
from whatsapp_chatbot.tests.fake_openai import call
from whatsapp_chatbot.tests.processes import Worker, free_port, wait_until
from whatsapp_chatbot.tests.remote_users import skip_unless_remote
from whatsapp_chatbot.tests.sshd import SSHServer

setUpModule = rf.start_remote
tearDownModule = rf.stop_remote

STEPS = {"steps": 8, "seconds": 1, "site": "norte"}


class LongWorkCase(rf.RemoteTestCase):
	"""Two long workers (this site's job waits on the remote's), Frappe's Socket.IO server."""

	settings = {"progress_interval_seconds": 1}

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		rf.define_slow_file_command(cls.addClassCleanup)  # here too: the model is offered this site's
		cls.socketio = rf.SocketIOServer().start()
		# one long worker runs this site's job (which waits on the remote), the other the remote's
		cls.workers = [Worker("long", name=f"remote-long-{i}").start() for i in (1, 2)]

	@classmethod
	def tearDownClass(cls):
		for worker in cls.workers:
			worker.stop()
		cls.socketio.stop()
		super().tearDownClass()

	def setUp(self):
		super().setUp()
		# gunicorn does not serve /socket.io as nginx does in production: name the realtime port
		self.site.db_set("socketio_port", rf.SOCKETIO_PORT)
		frappe.db.commit()

	def run_long(self) -> tuple[object, dict]:
		"""Ask for the slow file on norte; wait for the document at the fake Graph server."""
		self.openai.script(call(rf.Remote.slow_file, STEPS))
		[ack] = self.say("hazme el archivo lento en la sucursal norte")
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual(self.body(ack), texts.text("working", "es", ref=command.name))
		self.graph.wait_for(lambda g: any(m["type"] == "document" for m in g.sent_messages()), timeout=120)
		wait_until(lambda: frappe.db.get_value("Chatbot Command", command.name, "status") == "Succeeded")
		command.reload()
		[document] = [m for m in self.graph.sent_messages() if m["type"] == "document"]
		return command, document

	def assert_delivered_from_the_remote(self, command, document):
		self.assertEqual((command.remote_site, command.progress), ("norte", 100))
		self.assertTrue(command.remote_command)
		self.assertEqual(document["document"]["filename"], "pasos.csv")
		content = self.graph.media[document["document"]["id"]][0].decode()
		self.assertIn(f"{rf.REMOTE_SITE},{self.remote_email},8", content)  # made there, as that user
		remote_row = rf.remote(
			"frappe.client.get_value",
			doctype="Chatbot Command",
			fieldname=["status", "run_as", "contact"],
			filters=command.remote_command,
		)
		self.assertEqual(remote_row, {"status": "Succeeded", "run_as": self.remote_email, "contact": None})
		progress = [
			self.body(m)
			for m in self.graph.sent_messages()
			if m["type"] == "text" and "% listo" in self.body(m)
		]
		self.assertTrue(progress, [self.body(m) for m in self.graph.sent_messages()])
		self.assertTrue(all(command.name in body for body in progress))


class TestRemoteLongWork(LongWorkCase):
	def test_followed_over_socketio(self):
		command, document = self.run_long()
		self.assert_delivered_from_the_remote(command, document)
		events = int(command.remote_follow.rsplit("(", 1)[1].split()[0])
		self.assertGreaterEqual(events, 4, command.remote_follow)  # progress arrived over the socket
		if "dropped" in command.remote_follow:
			# the bench's Socket.IO server is shared: restarted by someone meanwhile, the rest came
			# by REST, as it should
			self.assertIn("polling over REST", command.remote_follow)
		else:
			self.assertTrue(
				command.remote_follow.startswith("followed over Socket.IO"), command.remote_follow
			)

	def test_socket_blocked_falls_back_to_rest(self):
		self.site.db_set("socketio_port", free_port())  # nothing listens there
		frappe.db.commit()
		command, document = self.run_long()
		self.assert_delivered_from_the_remote(command, document)
		self.assertIn("polling over REST", command.remote_follow)
		self.assertIn("could not be opened", command.remote_follow)

	def test_cancel_reaches_the_remote(self):
		self.openai.script(call(rf.Remote.slow_file, {"steps": 60, "seconds": 0.5, "site": "norte"}))
		self.say("el archivo lento largo en norte")
		command = frappe.get_last_doc("Chatbot Command")
		wait_until(lambda: frappe.db.get_value("Chatbot Command", command.name, "progress"), timeout=60)
		remote_name = frappe.db.get_value("Chatbot Command", command.name, "remote_command")
		[stopping] = self.say("cancelar")
		self.assertEqual(self.body(stopping), texts.text("cancel_requested", "es", ref=command.name))
		wait_until(lambda: frappe.db.get_value("Chatbot Command", command.name, "status") == "Cancelled", 60)
		remote_status = lambda: rf.remote(  # noqa: E731
			"frappe.client.get_value", doctype="Chatbot Command", fieldname="status", filters=remote_name
		)["status"]
		deadline = time.monotonic() + 30
		while remote_status() != "Cancelled" and time.monotonic() < deadline:
			time.sleep(1)
		self.assertEqual(remote_status(), "Cancelled")
		self.graph.wait_for(
			lambda g: (
				texts.text("long_cancelled", "es", ref=command.name)
				in [self.body(m) for m in g.sent_messages()]
			),
			timeout=30,
		)

	def test_remote_refusal_of_a_long_command(self):
		# the remote user may not read Sales Invoices there: the remote's own check refuses the export
		self.openai.script(call("export_list", {"doctype": "Sales Invoice", "site": "norte"}))
		self.say("exporta las facturas de norte")
		command = frappe.get_last_doc("Chatbot Command")
		wait_until(
			lambda: frappe.db.get_value("Chatbot Command", command.name, "status") == "Failed", timeout=60
		)
		command.reload()
		self.assertEqual(command.remote_site, "norte")
		self.graph.wait_for(lambda g: len(g.sent_messages()) >= 2, timeout=30)
		self.assertIn(command.name, self.body(self.graph.sent_messages()[-1]))
		f.clear_jobs()


class TestRemoteLongThroughTheTunnel(LongWorkCase):
	"""Started through the SSH tunnel and followed over Socket.IO through it: the socket goes to a
	forwarded local port while Host and Origin still name the remote as its server knows it."""

	@classmethod
	def setUpClass(cls):
		skip_unless_remote(sshd=True)
		super().setUpClass()
		cls.sshd = SSHServer([("127.0.0.1", cls.web.port), ("127.0.0.1", rf.SOCKETIO_PORT)]).start()

	@classmethod
	def tearDownClass(cls):
		cls.sshd.cleanup()
		super().tearDownClass()

	def setUp(self):
		super().setUp()
		self.site.update({**rf.tunnel_values(self.sshd, self.web.port), "socketio_port": rf.SOCKETIO_PORT})
		self.site.save()
		frappe.db.commit()

	def test_followed_over_socketio_through_the_tunnel(self):
		command, document = self.run_long()
		self.assert_delivered_from_the_remote(command, document)
		self.assertTrue(command.remote_follow.startswith("followed over Socket.IO (http://127.0.0.1:"))
		self.assertNotIn(f":{rf.SOCKETIO_PORT},", command.remote_follow)  # a forwarded local port
		self.assertTrue(self.sshd.forwarded_channels(rf.SOCKETIO_PORT))
		self.assertTrue(self.sshd.forwarded_channels(self.web.port))
