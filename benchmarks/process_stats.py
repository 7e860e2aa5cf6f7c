"""Process trees of benchmark workers: PSS memory and CPU seconds (psutil, /proc)."""

from __future__ import annotations

import threading


def tree(pid: int) -> list:
	import psutil

	try:
		root = psutil.Process(pid)
		return [root, *root.children(recursive=True)]
	except psutil.Error:
		return []


def pss_kb(pid: int) -> int:
	try:
		with open(f"/proc/{pid}/smaps_rollup") as file:
			for line in file:
				if line.startswith("Pss:"):
					return int(line.split()[1])
	except OSError:
		pass
	return 0


def cpu_seconds(pids: list[int]) -> float:
	"""user+system of every process in the trees, with the children each has reaped."""
	total = 0.0
	for pid in pids:
		for process in tree(pid):
			try:
				times = process.cpu_times()
			except Exception:
				continue
			total += times.user + times.system + times.children_user + times.children_system
	return total


class MemorySampler(threading.Thread):
	def __init__(self, pids: list[int], interval: float = 2.0):
		super().__init__(daemon=True)
		self.pids, self.interval = pids, interval
		self.samples: list[int] = []  # kB over every tree
		self.stopped = threading.Event()

	def run(self):
		while not self.stopped.wait(self.interval):
			self.samples.append(sum(pss_kb(p.pid) for pid in self.pids for p in tree(pid)))

	def stop(self) -> list[int]:
		self.stopped.set()
		self.join(5)
		return self.samples
