"""Remote command benchmark: what running on another site costs.

The same read command (find_documents on Customer, 10 rows) run here through the local executor,
on the bench's second site (remote.localhost under gunicorn) directly, and through an SSH tunnel
(a real sshd on loopback): the first call (SSH connect, key exchange, auth, forward) and then with
the tunnel reused. A new executor per call, as a new turn has. Each figure is also given as a ratio
to the local median.

Then Socket.IO progress latency: a progress event published on a site (its realtime room of the
key's user) until our Socket.IO client has it, for this site (local realtime), the remote directly,
and the remote through the tunnel.

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/remote_command.py --site h8a.localhost -n 30
"""

from __future__ import annotations

import argparse
import queue
import statistics
import time


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="test.localhost")
	parser.add_argument("-n", "--runs", type=int, default=30)
	parser.add_argument("--first", type=int, default=5, help="tunnel first calls (each opens SSH anew)")
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")

	from whatsapp_chatbot.executors import local, tunnels
	from whatsapp_chatbot.executors.remote import RemoteExecutor
	from whatsapp_chatbot.executors.rest import Client
	from whatsapp_chatbot.realtime import follow
	from whatsapp_chatbot.tests import factories as f
	from whatsapp_chatbot.tests import remote_fixture as rf
	from whatsapp_chatbot.tests.remote_users import make_api_user
	from whatsapp_chatbot.tests.sshd import SSHServer
	from whatsapp_chatbot.tools import catalogue

	suffix = frappe.generate_hash(length=6)
	rf.start_remote()
	sshd = SSHServer([("127.0.0.1", rf.Remote.web.port), ("127.0.0.1", rf.SOCKETIO_PORT)]).start()
	socket_server = rf.SocketIOServer().start()
	here = rf.RemoteServer(site=args.site).start()  # this site, for the local realtime's callback
	user = f.make_chat_user(f"chatbot-remote-bench-{suffix}@example.com", ("Sales User",))
	contact = f.make_contact(f"52155{int(time.time()) % 10**8:08d}", user=user)
	direct = rf.make_remote_site(f"bench-direct-{suffix}", rf.Remote.web.base_url)
	tunnelled = rf.make_remote_site(
		f"bench-tunnel-{suffix}",
		rf.Remote.web.base_url,
		use_ssh_tunnel=1,
		ssh_host="127.0.0.1",
		ssh_port=sshd.port,
		ssh_user=sshd.user,
		ssh_private_key=sshd.client_key("ed25519"),
		ssh_host_key=sshd.host_key,
		remote_host="127.0.0.1",
		remote_port=rf.Remote.web.port,
	)
	for site in (direct, tunnelled):
		rf.grant(contact.name, site.name, rf.Remote.key)
	frappe.db.commit()
	try:
		command = catalogue.find("find_documents", user)
		arguments, _errors = command.check({"doctype": "Customer", "limit": 10})

		def run_local():
			outcome = local.execute(command, arguments, user)
			assert outcome.ok, outcome.error

		def run_on(site):
			outcome = RemoteExecutor(site, contact.name, "en").execute(command, arguments, user)
			assert outcome.ok, outcome.error

		timings = {}
		run_local(), run_on(direct.name)  # warm: imports, metadata caches
		timings["local"] = timed(run_local, args.runs)
		timings["remote direct"] = timed(lambda: run_on(direct.name), args.runs)
		firsts = []
		for _ in range(args.first):
			tunnels.POOL.close()
			firsts += timed(lambda: run_on(tunnelled.name), 1)
		timings["remote tunnel, first call"] = firsts
		timings["remote tunnel, reused"] = timed(lambda: run_on(tunnelled.name), args.runs)
		print(f"read command (find_documents Customer, 10 rows), n={args.runs}:")
		base = statistics.median(timings["local"])
		for label, values in timings.items():
			median = statistics.median(values)
			print(
				f"  {label:28s} median {median * 1000:7.1f} ms  p90 {p90(values) * 1000:7.1f} ms"
				f"  ratio to local {median / base:6.1f}x  (n={len(values)})"
			)

		print(f"Socket.IO progress latency (publish → our client), n={args.runs}:")
		local_key = make_api_user(f"chatbot-realtime-bench-{suffix}@example.com", ["WhatsApp Chatbot User"])
		frappe.db.commit()
		myself = frappe._dict(
			name="here",
			base_url=here.base_url,
			verify_tls=0,
			timeout=10,
			use_ssh_tunnel=0,
			socketio_port=None,
		)
		cases = {
			"local realtime": (
				Client(myself, local_key["api_key"], local_key["api_secret"]),
				args.site,
				None,
			),
			"remote direct": (Client(direct, **_key(rf.Remote.key)), rf.REMOTE_SITE, None),
			"remote through tunnel": (Client(tunnelled, **_key(rf.Remote.key)), rf.REMOTE_SITE, tunnelled),
		}
		latencies = {}
		for label, (client, site_name, tunnel_site) in cases.items():
			if tunnel_site:
				port = tunnels.forward(tunnel_site, "127.0.0.1", rf.SOCKETIO_PORT)
				socket_url = f"http://127.0.0.1:{port}"
			else:
				socket_url = f"http://127.0.0.1:{rf.SOCKETIO_PORT}"
			received: queue.Queue = queue.Queue()
			sio = follow.connect(client, site_name, socket_url, lambda m: received.put((time.time(), m)))
			try:
				values = []
				for i in range(args.runs):
					name = f"bench-{label}-{i}"
					if label == "local realtime":
						frappe.set_user(local_key["user"])
						rf.publish_ping(name)
						frappe.set_user("Administrator")
					else:
						client.call(
							"whatsapp_chatbot.tests.remote_fixture.publish_ping", name=name, post=True
						)
					while True:
						at, message = received.get(timeout=10)
						if message.get("name") == name:
							values.append(at - message["published_at"])
							break
				latencies[label] = values
			finally:
				sio.disconnect()
		base = statistics.median(latencies["local realtime"])
		for label, values in latencies.items():
			median = statistics.median(values)
			print(
				f"  {label:28s} median {median * 1000:7.1f} ms  p90 {p90(values) * 1000:7.1f} ms"
				f"  ratio to local {median / base:6.1f}x"
			)
		print(f"  (forwarded channels logged by sshd: {len(sshd.forwarded_channels())})")
	finally:
		tunnels.POOL.close()
		frappe.db.delete("Chatbot Remote Access", {"contact": contact.name})
		frappe.db.delete("Chatbot Remote Site", {"name": ("in", [direct.name, tunnelled.name])})
		frappe.db.delete("Chatbot Contact", contact.name)
		frappe.db.commit()
		here.stop()
		socket_server.stop()
		sshd.cleanup()
		rf.Remote.web.stop()
		rf.forget_slow_file_command()
		rf.remote("whatsapp_chatbot.tests.remote_users.drop_user", email=rf.Remote.email)
		frappe.destroy()


def _key(key: dict) -> dict:
	return {"api_key": key["api_key"], "api_secret": key["api_secret"]}


def timed(function, runs: int) -> list[float]:
	values = []
	for _ in range(runs):
		started = time.perf_counter()
		function()
		values.append(time.perf_counter() - started)
	return values


def p90(values: list[float]) -> float:
	ordered = sorted(values)
	return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


if __name__ == "__main__":
	main()
