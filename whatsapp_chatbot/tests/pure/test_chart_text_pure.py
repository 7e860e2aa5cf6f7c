"""Chart text is data: a customer called "Acme $5 $6 Ltd" or an item "$\\frac{$" is drawn as written,
never parsed as matplotlib mathtext (which rewrites the text, and raises on what it cannot parse),
and a series named "_x" still gets its legend entry. The figure is saved as SVG with text kept as
text, so the test reads what a person would see."""

import io
import xml.etree.ElementTree as ElementTree

import matplotlib
import pytest

from whatsapp_chatbot.charts.render import BAR, LINE, RANKING, Chart, Series, figure, render_png

TITLE = "Sales $x^2$ in $"
SUBTITLE = "Acme $5 $6 Ltd · 2026"
LABELS = ["Acme $5 $6 Ltd", "$\\frac{$", "_private", "a\\$b $c$"]
SERIES = ["$MXN$", "_hidden"]
AXIS = "$$"


def money(value: float) -> str:
	return f"$ {value:,.0f} $"  # a currency written on both sides: two `$` in one text


def chart(kind: str) -> Chart:
	return Chart(
		TITLE,
		LABELS,
		[Series(SERIES[0], [10.0, 20.0, 30.0, 40.0]), Series(SERIES[1], [5.0, 6.0, 7.0, 8.0])],
		kind=kind,
		subtitle=SUBTITLE,
		format_value=money,
		value_axis=AXIS,
	)


def shown_texts(c: Chart) -> list[str]:
	"""Every text of the drawn figure, as the SVG carries it (one <text> per matplotlib Text)."""
	buffer = io.BytesIO()
	with matplotlib.rc_context({"svg.fonttype": "none"}):
		figure(c).savefig(buffer, format="svg")
	root = ElementTree.fromstring(buffer.getvalue())
	return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


@pytest.mark.parametrize("kind", [BAR, LINE, RANKING])
def test_dollar_signs_are_drawn_as_written(kind):
	assert render_png(chart(kind)).startswith(b"\x89PNG")  # "$\frac{$" raised ValueError here
	shown = shown_texts(chart(kind))
	for text in (TITLE, SUBTITLE, *LABELS, AXIS, *SERIES):
		assert text in shown, (text, shown)
	if kind != LINE:
		assert "$ 40 $" in shown  # the caller's value format, on the bars


def test_an_axis_format_with_dollars_is_drawn_as_written():
	c = Chart("Top", ["a", "b"], [Series("s", [1000.0, 2000.0])], kind=RANKING, format_tick=money)
	shown = shown_texts(c)
	assert "$ 1,000 $" in shown and "$ 2,000 $" in shown
