"""Scale-out across hosts: a second bench folder (a "worker host": its own env and apps, only RQ
workers, no web server) against this bench's MariaDB, Redis and sites folder.

The webhook comes in through this bench's gunicorn (host A); turns are drained by workers on A and
on B, each message answered once and in order per contact; a long command, a remote site through
the SSH tunnel and a media download each run on B alone. Which host did the work is proved, not
assumed: RQ's finished-job registry names the worker of each job (matched to the pid of the worker
process started from B's env), and the fakes look up which process opened each connection to them.

Skipped, saying why, without a worker host: $WHATSAPP_CHATBOT_WORKER_HOST (default
/home/frappe/worker-host) with env/bin/python and a sites folder that is this bench's.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time

import frappe
import requests

from whatsapp_chatbot import texts
from whatsapp_chatbot.jobs.queues import turn_queue
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests import media_samples as samples
from whatsapp_chatbot.tests.fake_openai import call
from whatsapp_chatbot.tests.long_task import define_slow_command
from whatsapp_chatbot.tests.processes import sites_path
from whatsapp_chatbot.tests.remote_fixture import tunnel_values
from whatsapp_chatbot.tests.remote_users import REMOTE_SITE, on_site, skip_unless_remote
from whatsapp_chatbot.tests.sshd import SSHServer
from whatsapp_chatbot.tests.worker_host_fixture import Shared, WorkerHostTestCase, start_shared, stop_shared

RUN = frappe.generate_hash(length=6)
RUN_DIGITS = f"{int(hashlib.sha256(RUN.encode()).hexdigest(), 16) % 10**6:06d}"  # in phone numbers
REMOTE_ROLES = ["WhatsApp Chatbot User", "Sales User", "Stock User"]


def setUpModule():
	start_shared()


def tearDownModule():
	stop_shared()


class TestTurnsOnTwoHosts(WorkerHostTestCase):
	def test_every_message_answered_once_in_order_by_workers_on_both_hosts(self):
		contacts = [f"52199{RUN_DIGITS}{i:02d}" for i in range(4)]
		for wa_id in contacts:
			f.make_contact(wa_id, user=self.sales)
		# some of a contact's messages back to back (its second waits for its first turn), some mixed
		order = [0, 0, 1, 2, 1, 1, 3, 2, 0, 3, 3, 2]
		said = {wa_id: [] for wa_id in contacts}
		queue = turn_queue()
		self.worker("A", queue)
		self.worker("B", queue)
		for index, who in enumerate(order):
			wa_id = contacts[who]
			text = f"mensaje {index} de {who} {RUN}"
			said[wa_id].append(text)
			self.deliver(f.text_webhook(text, wa_id=wa_id, wamid=f"wamid.WH{RUN}{index:02d}"))
		self.graph.wait_for(
			lambda g: sum(len(self.replies_to(w)) for w in contacts) >= len(order), timeout=180
		)
		for wa_id in contacts:
			f.settled(wa_id, timeout=60)
		time.sleep(2)  # anything answered twice would arrive now
		finished = self.hosts_of_jobs(queue, f"whatsapp_chatbot:process:wamid.WH{RUN}")

		for wa_id in contacts:  # once each, in the order the contact wrote
			self.assertEqual(self.replies_to(wa_id), [f"eco: {t}" for t in said[wa_id]], wa_id)
		frappe.db.rollback()
		incoming = [r for r in f.rows("Incoming") if r.wamid.startswith(f"wamid.WH{RUN}")]
		self.assertEqual([(r.status, r.attempts) for r in incoming], [("Answered", 1)] * len(order))
		# one model call per message, and the turns ran on both hosts
		self.assertEqual(sorted(t for t, _ in self.turns), sorted(t for ts in said.values() for t in ts))
		self.assertEqual({host for _, host in self.turns}, {"A", "B"}, self.turns)
		self.assertEqual(set(finished.values()), {"A", "B"}, finished)


class TestLongCommandOnWorkerHost(WorkerHostTestCase):
	settings = {"progress_interval_seconds": 1}

	def test_started_reported_and_delivered_from_host_b(self):
		slow = define_slow_command(self.addCleanup)
		self.openai.script(call(slow, {"steps": 14, "seconds": 1}))
		self.worker("A", turn_queue())  # the turn that starts it; the long queue only on B
		self.worker("B", "long")
		self.deliver(f.text_webhook(f"haz el proceso lento {RUN}", wa_id=self.MX))
		self.graph.wait_for(lambda g: "Done: 14 steps." in self.replies_to(self.MX), timeout=240)

		frappe.db.rollback()
		command = frappe.get_last_doc("Chatbot Command", filters={"contact": self.sales_contact.name})
		self.assertEqual((command.status, command.progress, command.kind), ("Succeeded", 100, "Long"))
		bodies = self.replies_to(self.MX)
		self.assertEqual(bodies[0], texts.text("working", "es", ref=command.name))
		self.assertTrue([b for b in bodies if "% listo" in b and command.name in b], bodies)
		self.assertEqual(bodies[-1], "Done: 14 steps.")
		self.assertEqual(
			self.hosts_of_jobs("long", command.name), {f"{frappe.local.site}::{command.name}": "B"}
		)


class TestRemoteSiteFromWorkerHost(WorkerHostTestCase):
	@classmethod
	def setUpClass(cls):
		skip_unless_remote(sshd=True)
		super().setUpClass()
		cls.sshd = SSHServer([("127.0.0.1", Shared.web.port)]).start()
		cls.addClassCleanup(cls.sshd.cleanup)
		email = f"worker-host-{RUN}@example.com"
		cls.addClassCleanup(
			on_site, REMOTE_SITE, "whatsapp_chatbot.tests.remote_users.drop_user", email=email
		)
		cls.key = on_site(
			REMOTE_SITE, "whatsapp_chatbot.tests.remote_users.make_api_user", email=email, roles=REMOTE_ROLES
		)

	def tearDown(self):
		frappe.db.delete("Chatbot Remote Access", {"remote_site": self.site})
		frappe.db.delete("Chatbot Remote Site", self.site)
		frappe.db.commit()
		super().tearDown()

	def test_a_command_on_a_tunnelled_site_runs_from_host_b(self):
		self.site = f"wh-tunnel-{RUN}"
		frappe.get_doc(
			{
				"doctype": "Chatbot Remote Site",
				"site_name": self.site,
				"base_url": f"http://{REMOTE_SITE}:{Shared.web.port}",
				"enabled": 1,
				"timeout": 10,
				**tunnel_values(self.sshd, Shared.web.port),  # the host key pinned
			}
		).insert(ignore_permissions=True)
		frappe.get_doc(
			{
				"doctype": "Chatbot Remote Access",
				"contact": self.sales_contact.name,
				"remote_site": self.site,
				"api_key": self.key["api_key"],
				"api_secret": self.key["api_secret"],
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		logins, channels = self.sshd.accepted_logins(), len(self.sshd.forwarded_channels(Shared.web.port))
		self.worker("B", turn_queue())  # the only worker: the turn, and its tunnel, are B's
		wamid = f"wamid.WHT{RUN}"
		self.deliver(
			f.text_webhook(
				f"/find_documents doctype=Customer count_only=true site={self.site}", self.MX, wamid
			)
		)
		[reply] = self.graph.wait_for(lambda g: self.replies_to(self.MX), timeout=120)

		frappe.db.rollback()
		command = frappe.get_last_doc("Chatbot Command", filters={"contact": self.sales_contact.name})
		self.assertEqual((command.status, command.remote_site), ("Succeeded", self.site), command.error)
		self.assertTrue(reply)
		self.assertGreaterEqual(self.sshd.accepted_logins() - logins, 1)
		self.assertGreaterEqual(len(self.sshd.forwarded_channels(Shared.web.port)) - channels, 1)
		self.assertEqual(set(self.hosts_of_jobs(turn_queue(), wamid).values()), {"B"})
		self.assertEqual({host for _, host in self.graph_calls.seen}, {"B"}, self.graph_calls.seen)


class TestMediaOnWorkerHost(WorkerHostTestCase):
	def setUp(self):
		super().setUp()
		self.manager = f"wh-manager-{RUN}@example.com"
		self.password = frappe.generate_hash(length=16)
		f.make_manager(self.manager)
		from frappe.utils.password import update_password

		update_password(self.manager, self.password)
		frappe.db.commit()

	def tearDown(self):
		frappe.delete_doc("User", self.manager, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDown()

	def test_a_document_fetched_on_host_b_is_served_by_host_a(self):
		content = samples.text_pdf([[f"Pedido {RUN}", "Total: 10.00 MXN"]])
		media_id = "".join(ch for ch in f"{time.time_ns()}{RUN_DIGITS}" if ch.isdigit())[:18]
		self.graph.add_media(media_id, content, "application/pdf")
		body = f.text_webhook("", wa_id=self.MX, wamid=f"wamid.WHM{RUN}")
		message = body["entry"][0]["changes"][0]["value"]["messages"][0]
		message.pop("text")
		digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
		message.update(type="document", document={"mime_type": "application/pdf", "sha256": digest})
		message["document"].update(id=media_id, filename=f"pedido-{RUN}.pdf")
		self.worker("B", turn_queue())  # the only worker: the download is B's
		self.deliver(body)
		self.graph.wait_for(lambda g: self.replies_to(self.MX), timeout=120)

		frappe.db.rollback()
		[incoming] = f.rows("Incoming", wamid=f"wamid.WHM{RUN}")
		self.assertEqual(incoming.status, "Answered")
		stored = frappe.get_doc(
			"File", {"attached_to_doctype": "Chatbot Message", "attached_to_name": incoming.name}
		)
		self.assertEqual((stored.is_private, stored.file_url), (1, incoming.media_file))
		on_disk = os.path.realpath(stored.get_full_path())
		private = os.path.realpath(os.path.join(sites_path(), frappe.local.site, "private", "files"))
		self.assertTrue(on_disk.startswith(private + os.sep), on_disk)  # the shared sites folder
		downloads = {host for path, host in self.graph_calls.seen if media_id in path}
		self.assertEqual(downloads, {"B"}, self.graph_calls.seen)  # the lookup and the bytes, from B
		self.assertEqual(set(self.hosts_of_jobs(turn_queue(), f"wamid.WHM{RUN}").values()), {"B"})

		url = Shared.web.base_url + stored.file_url
		self.assertEqual(requests.get(url, headers=Shared.web.headers(), timeout=30).status_code, 403)
		manager = requests.Session()
		login = manager.post(
			Shared.web.base_url + "/api/method/login",
			data={"usr": self.manager, "pwd": self.password},
			headers=Shared.web.headers(),
			timeout=30,
		)
		self.assertEqual(login.status_code, 200, login.text)
		served = manager.get(url, headers=Shared.web.headers(), timeout=30)
		self.assertEqual(served.status_code, 200)
		self.assertEqual(served.content, content)
