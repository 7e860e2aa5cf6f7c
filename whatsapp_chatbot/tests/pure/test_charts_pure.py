"""The chart renderer and the time buckets, without a site: real PNGs, parsed back with Pillow."""

import datetime
import io

import pytest
from PIL import Image

from whatsapp_chatbot.charts import periods
from whatsapp_chatbot.charts.render import (
	BAR,
	HEIGHT,
	LINE,
	RANKING,
	WIDTH,
	Chart,
	EmptyChart,
	Series,
	is_empty,
	plain_number,
	render_png,
	shorten,
)

D = datetime.date


def image(png: bytes) -> Image.Image:
	picture = Image.open(io.BytesIO(png))
	picture.load()
	return picture


@pytest.mark.parametrize("kind", [BAR, LINE, RANKING])
def test_every_kind_is_a_png_of_the_phone_size(kind):
	labels = [f"Label {i}" for i in range(8)]
	chart = Chart("Sales", labels, [Series("MXN", [float(i * 100) for i in range(8)])], kind=kind)
	picture = image(render_png(chart))
	assert (picture.format, picture.size) == ("PNG", (WIDTH, HEIGHT))
	assert len(picture.getcolors(maxcolors=100_000)) > 10  # something was drawn, not a blank canvas


def test_formatters_are_the_callers():
	seen = []

	def money(value):
		seen.append(value)
		return f"$ {value:,.2f}"

	chart = Chart(
		"Top customers",
		["Acme Corp", "Globex SA"],
		[Series("Sales", [1550.0, 250.0])],
		kind=RANKING,
		format_value=money,
		format_tick=lambda v: f"{v:.0f}",
	)
	render_png(chart)
	assert 1550.0 in seen and 250.0 in seen  # the bar values were written with the caller's format


def test_many_points_many_series_and_unicode_labels():
	labels = [periods.label(D(2026, 1, 1) + datetime.timedelta(days=i), "day", "es") for i in range(90)]
	chart = Chart(
		"Ventas por día · año",
		labels,
		[Series("2026", [i % 7 * 10.0 for i in range(90)]), Series("2025", [5.0] * 90)],
		kind=BAR,
		subtitle="Compañía Ñandú, S.A. de C.V.",
	)
	assert image(render_png(chart)).size == (WIDTH, HEIGHT)


def test_negative_values_draw():
	chart = Chart("Net", ["a", "b"], [Series("x", [-50.0, 20.0])])
	assert image(render_png(chart)).size == (WIDTH, HEIGHT)


def test_empty_is_refused_not_drawn():
	assert is_empty(Chart("x", [], []))
	assert is_empty(Chart("x", ["a", "b"], [Series("s", [0.0, 0.0])]))
	assert not is_empty(Chart("x", ["a"], [Series("s", [0.5])]))
	with pytest.raises(EmptyChart):
		render_png(Chart("x", ["a", "b"], [Series("s", [0.0, 0.0])]))


def test_mismatched_series_and_unknown_kind_are_errors():
	with pytest.raises(ValueError):
		Chart("x", ["a", "b"], [Series("s", [1.0])])
	with pytest.raises(ValueError):
		Chart("x", ["a"], [Series("s", [1.0])], kind="pie")


def test_helpers():
	assert plain_number(1234.0) == "1,234"
	assert plain_number(1234.5) == "1,234.50"
	assert shorten("A very long customer name that goes on and on", 20) == "A very long custome…"
	assert shorten("  two   spaces ") == "two spaces"


def test_buckets_fill_every_day_week_and_month():
	keys, values = periods.totals(
		[(D(2026, 11, 2), 10), ("2026-11-02", 5), (D(2026, 11, 4), 1)], D(2026, 11, 1), D(2026, 11, 4), "day"
	)
	assert keys == [D(2026, 11, 1), D(2026, 11, 2), D(2026, 11, 3), D(2026, 11, 4)]
	assert values == [0.0, 15.0, 0.0, 1.0]
	# weeks start on Monday; the first bucket holds the period's first day
	keys, values = periods.totals([(D(2026, 11, 25), 7)], D(2026, 11, 12), D(2026, 11, 25), "week")
	assert keys == [D(2026, 11, 9), D(2026, 11, 16), D(2026, 11, 23)]
	assert values == [0.0, 0.0, 7.0]
	keys, _ = periods.totals([], D(2025, 11, 30), D(2026, 2, 1), "month")
	assert keys == [D(2025, 11, 1), D(2025, 12, 1), D(2026, 1, 1), D(2026, 2, 1)]


def test_rows_outside_the_period_are_ignored_and_datetimes_accepted():
	_, values = periods.totals(
		[(datetime.datetime(2026, 11, 3, 23, 59), 2), (D(2026, 12, 1), 100)],
		D(2026, 11, 1),
		D(2026, 11, 30),
		"month",
	)
	assert values == [2.0]


def test_grain_and_limits():
	assert periods.choose_grain(D(2026, 11, 1), D(2026, 11, 30)) == "day"
	assert periods.choose_grain(D(2026, 6, 1), D(2026, 11, 30)) == "week"
	assert periods.choose_grain(D(2025, 1, 1), D(2026, 11, 30)) == "month"
	with pytest.raises(periods.TooManyBuckets) as raised:
		periods.buckets(D(2026, 1, 1), D(2026, 12, 31), "day")
	assert raised.value.count == 365
	with pytest.raises(ValueError):
		periods.buckets(D(2026, 2, 1), D(2026, 1, 1), "day")


def test_labels_in_both_languages():
	assert periods.label(D(2026, 1, 5), "day", "es") == "5 ene"
	assert periods.label(D(2026, 1, 5), "week", "en") == "5 Jan"
	assert periods.label(D(2026, 8, 1), "month", "es") == "ago 2026"
	assert periods.label(D(2026, 8, 1), "month", "zz") == "Aug 2026"  # a language nobody knows


def test_slash_chart_lines():
	from whatsapp_chatbot.charts import slash

	assert slash.is_chart("chart") and slash.is_chart("Gráfica") and not slash.is_chart("charts")
	assert slash.resolve("sales week from_date=2026-01-01") == (
		"sales_chart",
		"by=week from_date=2026-01-01",
	)
	assert slash.resolve("ventas Clientes") == ("sales_chart", "by=customer")
	assert slash.resolve("ventas by=month") == ("sales_chart", "by=month")
	assert slash.resolve("existencias TORN-M8") == ("stock_chart", "TORN-M8")
	assert slash.resolve('documentos {"doctype": "ToDo"}') == ("documents_chart", '{"doctype": "ToDo"}')
	assert slash.resolve("pie 3") == (None, "pie 3")
	assert slash.resolve("") == (None, "")
