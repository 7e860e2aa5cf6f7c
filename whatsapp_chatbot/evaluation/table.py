"""The evaluation's text report, for the terminal (`bench … whatsapp-chatbot evaluate`) and
benchmarks/evaluation.py. Pure module: no frappe import.

One line per case and repeat: pass or FAIL, each judged part (✓ right, ✗ wrong, · not judged),
what the model called, tokens, cost, seconds and why it failed; then the totals and the comparison
with the previous run of the same cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from whatsapp_chatbot.evaluation.scoring import PARTS

MARKS = {True: "✓", False: "✗", None: "·"}
HEADINGS = ("case", "#", "expect", "result", "cmd args ask ref lang ans", "called", "tokens", "cost", "s")


def part_marks(parts: Mapping[str, bool | None]) -> str:
	return "   ".join(MARKS[parts.get(part)] for part in PARTS)


def results_table(results: Sequence[Mapping]) -> str:
	"""`results`: dicts with case, repeat, expect, passed, parts, called, tokens, cost, latency,
	reasons."""
	cells = [
		(
			str(r["case"]),
			str(r.get("repeat") or 1),
			str(r.get("expect") or ""),
			"pass" if r.get("passed") else "FAIL",
			part_marks(r.get("parts") or {}),
			_cut(r.get("called") or "-", 40),
			str(r.get("tokens") or 0),
			f"{float(r.get('cost') or 0):.5f}",
			f"{float(r.get('latency') or 0):.2f}",
		)
		for r in results
	]
	widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(HEADINGS)]
	out = ["  ".join(h.ljust(w) for h, w in zip(HEADINGS, widths, strict=True))]
	for row, result in zip(cells, results, strict=True):
		out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
		if not result.get("passed") and result.get("reasons"):
			out.append(f"    ↳ {_cut('; '.join(result['reasons']), 200)}")
	return "\n".join(out)


def totals_text(figures: Mapping, changes: Mapping | None = None, previous: str | None = None) -> str:
	"""`figures`: scoring.totals plus tokens, cost and latency."""
	rates = ", ".join(
		f"{part} {figures[f'{part}_rate']:.1f} %" for part in PARTS if figures.get(f"{part}_rate") is not None
	)
	out = [
		f"passed {figures['passed']}/{figures['results']} ({figures['pass_rate']:.1f} %); {rates}",
		f"tokens {figures.get('prompt_tokens', 0)} in ({figures.get('cached_tokens', 0)} cached), "
		f"{figures.get('completion_tokens', 0)} out; cost ${float(figures.get('cost') or 0):.4f}; "
		f"latency {float(figures.get('latency_avg') or 0):.2f} s mean, "
		f"{float(figures.get('latency_p95') or 0):.2f} s p95; errors {figures.get('errors', 0)}",
	]
	if previous and changes is not None:
		out.append(
			f"against {previous}: better {_listed(changes.get('better'))}; worse {_listed(changes.get('worse'))}; "
			f"new {len(changes.get('new') or [])}"
		)
	elif changes is not None:
		out.append("no previous run of these cases to compare with")
	return "\n".join(out)


def _listed(cases) -> str:
	cases = list(cases or [])
	return f"{len(cases)}" + (f" ({', '.join(cases[:12])}{'…' if len(cases) > 12 else ''})" if cases else "")


def _cut(text: str, width: int) -> str:
	return text if len(text) <= width else text[: width - 1] + "…"
