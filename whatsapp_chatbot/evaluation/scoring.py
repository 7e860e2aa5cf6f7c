"""How one answer of the model is judged against an evaluation case. Pure module: no frappe import.

The runner (evaluation/exchange.py) captures what the model did with a case: the tool calls it made
(never executed) and the words it ended with. `score` compares that with what the case expects:

- Command: the expected command was called (validly), and no other command that writes or starts
  long work; the arguments the case lists match (exactly, one of, or "contains");
- Question: the model asked back (its last words hold a question mark) and acted on nothing;
- Refusal: it said it cannot (a refusal phrase) and acted on nothing;
- Answer: it answered in words and acted on nothing.

"Acted on nothing" allows read tools whose result the case simulates (that is what the simulated
result is for); any other call ended the exchange and counts against the case. The words, when there
are any, must be in the case's language. A malformed call (arguments that are no JSON, an unknown
tool, arguments that break the tool's schema) or an endpoint error fails the case.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from whatsapp_chatbot.interpreter.language import GUESSED, guess

COMMAND, QUESTION, REFUSAL, ANSWER = "Command", "Question", "Refusal", "Answer"
EXPECTATIONS = (COMMAND, QUESTION, REFUSAL, ANSWER)
READ = "Read"  # the registry's kinds (tools/registry.py): Write and Long end a turn
OPERATORS = ("one_of", "contains")
PARTS = ("command", "arguments", "asked", "refused", "language", "answer")

# phrases of "I cannot / you may not" in the shipped languages, accent-free and lower case
REFUSAL_PHRASES = (
	# Spanish
	"no puedo",
	"no puedes",
	"no tienes",
	"no tiene acceso",
	"no tiene permiso",
	"no cuentas con",
	"no esta permitido",
	"no estas autorizad",
	"no me es posible",
	"no es posible",
	"no tengo acceso",
	"lo siento",
	"sin acceso",
	"sin permiso",
	"permiso",
	"acceso",
	# English
	"can't",
	"cannot",
	"can not",
	"unable",
	"not able",
	"not allowed",
	"not permitted",
	"not authori",
	"don't have",
	"do not have",
	"no access",
	"sorry",
	"permission",
	"access",
	# Portuguese
	"nao posso",
	"nao pode",
	"nao tem",
	"sem acesso",
	"desculpe",
	"permissao",
	"acesso",
)


@dataclass(frozen=True)
class Expectation:
	expect: str
	command: str | None = None
	arguments: dict = field(default_factory=dict)  # name -> value, {"one_of": [...]} or {"contains": "…"}
	language: str | None = None
	answer_contains: str | None = None
	simulated: frozenset = frozenset()  # read tools whose result the case provides


@dataclass
class Call:
	name: str
	arguments: Any = None  # the checked arguments, or what the model sent when they were broken
	kind: str | None = None  # Read / Write / Long; None: not a tool this user was offered
	error: str | None = None  # why the call is malformed


@dataclass
class Capture:
	calls: list[Call] = field(default_factory=list)
	text: str | None = None  # the model's last words, when it ended with words
	error: str | None = None  # the endpoint failed (HTTP error, timeout): nothing to judge


@dataclass
class Score:
	passed: bool
	command: bool | None = None
	arguments: bool | None = None
	asked: bool | None = None
	refused: bool | None = None
	language: bool | None = None
	answer: bool | None = None
	reasons: list[str] = field(default_factory=list)

	@property
	def parts(self) -> dict[str, bool | None]:
		return {part: getattr(self, part) for part in PARTS}

	@property
	def fraction(self) -> float:
		"""The share of judged parts that are right (0 when nothing could be judged)."""
		judged = [v for v in self.parts.values() if v is not None]
		return sum(judged) / len(judged) if judged else 0.0


def score(expected: Expectation, captured: Capture) -> Score:
	if expected.expect not in EXPECTATIONS:
		raise ValueError(f"unknown expectation {expected.expect!r}")
	if captured.error:
		return _failed(expected, [captured.error])
	reasons: list[str] = []
	broken = [c for c in captured.calls if c.error]
	reasons += [f"{c.name}: {c.error}" for c in broken]
	valid = [c for c in captured.calls if not c.error]
	acting = [c for c in valid if c.kind != READ or c.name not in expected.simulated]
	result = Score(passed=False)

	if expected.expect == COMMAND:
		chosen = [c for c in valid if c.name == expected.command]
		other_writes = [c for c in valid if c.kind != READ and c.name != expected.command]
		result.command = bool(chosen) and not other_writes and not broken
		if not chosen:
			called = ", ".join(c.name for c in captured.calls) or "no tool"
			reasons.append(f"expected {expected.command}, got {called}")
		reasons += [f"also called {c.name}, which changes data" for c in other_writes]
		if expected.arguments:
			problems = argument_problems(expected.arguments, chosen[-1].arguments) if chosen else ["-"]
			result.arguments = not problems
			reasons += [p for p in problems if p != "-"]
	else:
		result.command = not acting and not broken
		reasons += [f"called {c.name} instead of answering" for c in acting]
		text = captured.text or ""
		if expected.expect == QUESTION:
			result.asked = is_question(text)
			if not result.asked:
				reasons.append("did not ask back")
		elif expected.expect == REFUSAL:
			result.refused = is_refusal(text)
			if not result.refused:
				reasons.append("did not say it cannot")
		elif not text.strip():
			result.command = False
			reasons.append("no answer")

	if expected.answer_contains:
		result.answer = fold(expected.answer_contains) in fold(captured.text or "")
		if not result.answer:
			reasons.append(f"the answer does not say {expected.answer_contains!r}")
	result.language = language_right(captured.text, expected.language)
	if result.language is False:
		reasons.append(f"answered in {guess(captured.text).language}, not {expected.language}")
	result.passed = all(v is not False for v in result.parts.values()) and result.command is True
	result.reasons = reasons
	return result


def _failed(expected: Expectation, reasons: list[str]) -> Score:
	return Score(
		passed=False,
		command=False,
		arguments=False if expected.expect == COMMAND and expected.arguments else None,
		asked=False if expected.expect == QUESTION else None,
		refused=False if expected.expect == REFUSAL else None,
		answer=False if expected.answer_contains else None,
		reasons=reasons,
	)


# -- arguments ------------------------------------------------------------------------------


def argument_problems(expected: dict, actual: Any) -> list[str]:
	"""Each listed argument that does not match, as "name: expected …, got …" (empty: all match).
	Arguments the case does not list are not judged."""
	actual = actual if isinstance(actual, dict) else {}
	return [
		f"{name}: expected {_shown(spec)}, got {_shown(actual.get(name))}"
		for name, spec in expected.items()
		if not matches(spec, actual.get(name))
	]


def matches(spec: Any, value: Any) -> bool:
	"""`value` is what `spec` asks: an exact value (numbers by value, so 20 == 20.0), {"one_of":
	[...]}, {"contains": "text"} (case and accents ignored), an object whose listed keys match, or
	a list whose items match one to one in any order."""
	if isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in OPERATORS:
		operator, operand = next(iter(spec.items()))
		if operator == "one_of":
			return any(matches(option, value) for option in (operand or []))
		if value is None:
			return False
		text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
		return fold(str(operand)) in fold(text)
	if isinstance(spec, dict):
		return isinstance(value, dict) and all(matches(s, value.get(k)) for k, s in spec.items())
	if isinstance(spec, list):
		return isinstance(value, list) and len(spec) == len(value) and _pairs(spec, list(value))
	if isinstance(spec, bool) or isinstance(value, bool):
		return spec is value
	return spec == value


def _pairs(specs: list, values: list) -> bool:
	"""Every spec matched by a different value (small lists: a plain search)."""
	if not specs:
		return True
	first, rest = specs[0], specs[1:]
	return any(matches(first, v) and _pairs(rest, values[:i] + values[i + 1 :]) for i, v in enumerate(values))


def _shown(value: Any) -> str:
	return json.dumps(value, ensure_ascii=False, default=str)


# -- words ------------------------------------------------------------------------------------


def fold(text: str) -> str:
	"""Lower case without accents, typographic apostrophes as plain ones."""
	decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
	return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def is_question(text: str | None) -> bool:
	return bool(text) and ("?" in text or "¿" in text)


def is_refusal(text: str | None) -> bool:
	folded = fold(text or "")
	return any(phrase in folded for phrase in REFUSAL_PHRASES)


def language_right(text: str | None, language: str | None) -> bool | None:
	"""True when the words are in the case's language, False when they are clearly in another one,
	None when there are no words or they do not tell (a short "Listo ✅", a document number)."""
	if not text or not language or language.split("-")[0] not in GUESSED:
		return None
	guessed = guess(text)
	if guessed.language == language.split("-")[0]:
		return True
	return False if guessed.confident else None


# -- a run's figures -----------------------------------------------------------------------------


def totals(scores: list[Score]) -> dict:
	"""Results, passed, the pass rate and each part's rate (percent of the results that judged it;
	None when none did)."""
	figures: dict = {"results": len(scores), "passed": sum(s.passed for s in scores)}
	figures["pass_rate"] = _percent(figures["passed"], len(scores))
	for part in PARTS:
		judged = [getattr(s, part) for s in scores if getattr(s, part) is not None]
		figures[f"{part}_rate"] = _percent(sum(judged), len(judged)) if judged else None
	return figures


def _percent(part: int, whole: int) -> float:
	return round(100.0 * part / whole, 1) if whole else 0.0


def compare(previous: dict[str, list[bool]], current: dict[str, list[bool]]) -> dict[str, list[str]]:
	"""Per case id, this run's passes against the previous run's (each a list, one per repeat):
	better (a higher share passed), worse, new (not in the previous run) and gone (not in this one)."""
	changes: dict[str, list[str]] = {"better": [], "worse": [], "new": [], "gone": []}
	for case, passes in sorted(current.items()):
		if case not in previous:
			changes["new"].append(case)
			continue
		now, before = _share(passes), _share(previous[case])
		if now > before:
			changes["better"].append(case)
		elif now < before:
			changes["worse"].append(case)
	changes["gone"] = sorted(set(previous) - set(current))
	return changes


def _share(passes: list[bool]) -> float:
	return sum(passes) / len(passes) if passes else 0.0
