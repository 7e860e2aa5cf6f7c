"""Chart data → PNG bytes, sized for a phone screen. Pure module: matplotlib, no frappe.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, so no global figure state and no
display backend in a worker). The caller formats numbers: `format_value` and `format_tick` are
given by the tool that knows the site's currency and number format (frappe's fmt_money), so the
image shows amounts exactly as the Desk does. matplotlib is imported on first render only: the
worker that never draws a chart never pays for it.

Every string drawn is data (customer and item names, field labels, the currency format) and is
drawn as written (`literal`): never parsed as mathtext.

An empty chart says nothing a sentence would not say better: `render_png` refuses one, and the
tools answer with a sentence instead (`is_empty`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

WIDTH, HEIGHT, DPI = 1200, 800, 100  # pixels: readable on a phone without zooming
BAR, LINE, RANKING = "bar", "line", "ranking"  # columns over time, a line over time, bars by size
PALETTE = ("#2E6BE6", "#F28E2B", "#59A14F", "#E15759", "#76B7B2", "#B07AA1")
LABEL_CHARACTERS = 28  # a category name longer than this is cut with "…"
MAX_ANNOTATED = 15  # above this many bars, values are read from the axis only
MAX_TICK_LABELS = 16  # time axes show at most this many labels
COMPACT_ABOVE = 8  # more columns than this are labelled like the axis (no decimals), to fit
CHARACTER_PIXELS = 12


class EmptyChart(ValueError):
	"""Nothing to draw: no points, or every value is zero."""


def plain_number(value: float) -> str:
	"""1234.5 → '1,234.5'; whole numbers without decimals. (Tools pass the site's format.)"""
	return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


@dataclass
class Series:
	name: str
	values: list[float]


@dataclass
class Chart:
	title: str
	labels: list[str]  # one per point: a day, a customer, a warehouse…
	series: list[Series]
	kind: str = BAR
	subtitle: str = ""
	format_value: Callable[[float], str] = plain_number  # numbers written on the bars
	format_tick: Callable[[float], str] | None = None  # the value axis (default: format_value)
	value_axis: str = ""  # what the numbers are ("MXN", "Nos", "count")
	extra: dict = field(default_factory=dict)

	def __post_init__(self):
		if self.kind not in (BAR, LINE, RANKING):
			raise ValueError(f"unknown chart kind {self.kind!r}")
		for series in self.series:
			if len(series.values) != len(self.labels):
				raise ValueError(
					f"series {series.name!r} has {len(series.values)} values for {len(self.labels)} labels"
				)


def literal(text) -> str:
	"""`text` as matplotlib draws it verbatim: with two `$` in it, a Text is parsed as mathtext,
	which rewrites it ("$5 $6" loses its signs) or raises on what it cannot parse ("$\\frac{$").
	Every string drawn is data (a customer, an item, a currency format), so each `$` is escaped."""
	return str(text).replace("$", r"\$")


def is_empty(chart: Chart) -> bool:
	return not chart.labels or not any(v for s in chart.series for v in s.values)


def shorten(label: str, limit: int = LABEL_CHARACTERS) -> str:
	label = " ".join(str(label or "-").split())
	return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def preload() -> None:
	"""Import matplotlib now (an RQ worker's parent, before it forks a process per job: 0.5 s saved
	on every chart)."""
	import matplotlib.backends.backend_agg
	import matplotlib.figure
	import matplotlib.ticker


def render_png(chart: Chart) -> bytes:
	"""The chart as a WIDTH x HEIGHT PNG."""
	buffer = io.BytesIO()
	# fixed dpi and no bbox_inches="tight": the image is exactly WIDTH x HEIGHT
	figure(chart).savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
	return buffer.getvalue()


def figure(chart: Chart):
	"""The chart drawn on a matplotlib Figure (Agg canvas), ready to save."""
	if is_empty(chart):
		raise EmptyChart(chart.title)
	from matplotlib.backends.backend_agg import FigureCanvasAgg
	from matplotlib.figure import Figure
	from matplotlib.ticker import FuncFormatter, MaxNLocator

	# margins computed here rather than by a layout engine: constrained layout draws the figure
	# twice and costs a third of the render
	tick = chart.format_tick or chart.format_value
	drawn = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
	drawn.subplots_adjust(**_margins(chart, tick))
	FigureCanvasAgg(drawn)
	axes = drawn.add_subplot()
	drawn.suptitle(literal(chart.title), fontsize=26, fontweight="bold", x=0.02, y=0.97, ha="left")
	if chart.subtitle:
		axes.set_title(literal(chart.subtitle), fontsize=17, color="#555555", loc="left", pad=14)
	formatter = FuncFormatter(lambda value, _position: literal(tick(value)))
	if chart.kind == RANKING:
		handles = _ranking(axes, chart)
		axes.xaxis.set_major_formatter(formatter)
		axes.xaxis.set_major_locator(MaxNLocator(nbins=5))
	else:
		handles = _over_time(axes, chart, tick)
		axes.yaxis.set_major_formatter(formatter)
		axes.yaxis.set_major_locator(MaxNLocator(nbins=6))
	if chart.value_axis:
		(axes.set_xlabel if chart.kind == RANKING else axes.set_ylabel)(
			literal(chart.value_axis), fontsize=16
		)
	axes.tick_params(labelsize=16)
	for side in ("top", "right"):
		axes.spines[side].set_visible(False)
	if len(chart.series) > 1:
		# labels given, not collected from the artists: collecting skips a name starting with "_"
		axes.legend(handles, [literal(s.name) for s in chart.series], fontsize=15, frameon=False)
	return drawn


def _margins(chart: Chart, tick) -> dict:
	"""Room for the tick labels, from their length (16-pt DejaVu Sans: about 12 px a character)."""
	values = [v for s in chart.series for v in s.values]
	if chart.kind == RANKING:
		longest = max(len(shorten(label)) for label in chart.labels)
		left, bottom = longest * CHARACTER_PIXELS + 30, 90
	else:
		longest = max(len(tick(max(values))), len(tick(min(values))))
		left = longest * CHARACTER_PIXELS + (60 if chart.value_axis else 25)
		bottom = 130 if len(chart.labels) > 6 else 70
	return {
		"left": min(0.45, left / WIDTH),
		"right": 0.97,
		"bottom": bottom / HEIGHT,
		"top": 0.85 if chart.subtitle else 0.89,
	}


def _ranking(axes, chart: Chart) -> list:
	"""Horizontal bars, biggest first from the top, each with its value at its end. Returns each
	series' bars (for the legend)."""
	handles = []
	count, width = len(chart.labels), 0.8 / len(chart.series)
	positions = list(range(count))
	for index, series in enumerate(chart.series):
		offsets = [p + (index - (len(chart.series) - 1) / 2) * width for p in positions]
		bars = axes.barh(offsets, series.values, height=width, color=PALETTE[index % len(PALETTE)])
		handles.append(bars)
		if count * len(chart.series) <= MAX_ANNOTATED * 2:
			axes.bar_label(
				bars, labels=[literal(chart.format_value(v)) for v in series.values], padding=6, fontsize=15
			)
	axes.set_yticks(positions, [literal(shorten(label)) for label in chart.labels])
	axes.invert_yaxis()
	axes.grid(axis="x", color="#DDDDDD")
	axes.set_axisbelow(True)
	axes.margins(x=0.18)  # room for the value written after the longest bar
	return handles


def _over_time(axes, chart: Chart, tick) -> list:
	handles = []
	count = len(chart.labels)
	positions = list(range(count))
	if chart.kind == LINE:
		for index, series in enumerate(chart.series):
			lines = axes.plot(
				positions,
				series.values,
				color=PALETTE[index % len(PALETTE)],
				linewidth=3,
				marker="o" if count <= 40 else None,
				markersize=7,
			)
			handles += lines
	else:
		width = 0.8 / len(chart.series)
		for index, series in enumerate(chart.series):
			offsets = [p + (index - (len(chart.series) - 1) / 2) * width for p in positions]
			bars = axes.bar(offsets, series.values, width=width, color=PALETTE[index % len(PALETTE)])
			handles.append(bars)
			if count * len(chart.series) <= MAX_ANNOTATED:
				write = chart.format_value if count <= COMPACT_ABOVE else tick
				axes.bar_label(
					bars,
					labels=[literal(write(v)) if v else "" for v in series.values],
					padding=4,
					fontsize=14,
				)
		axes.margins(y=0.12)
	step = max(1, -(-count // MAX_TICK_LABELS))  # every step-th label, at most MAX_TICK_LABELS
	shown = positions[::step]
	axes.set_xticks(shown, [literal(shorten(chart.labels[p], 16)) for p in shown])
	if len(shown) > 6:
		for label in axes.get_xticklabels():
			label.set_rotation(40)
			label.set_horizontalalignment("right")
	axes.axhline(0, color="#999999", linewidth=1)
	axes.grid(axis="y", color="#DDDDDD")
	axes.set_axisbelow(True)
	return handles
