"""Charts sent as images: sales over time or top customers/items, an item's stock by warehouse, and
a chart of any readable DocType (a field summed, or documents counted, over time or per group).

Data comes from frappe.get_list as the session user (the contact's User), so ERPNext's role and
user permissions decide what is counted; field names are checked against the DocType's meta and
the user's field-level (permlevel) read access before any query is built. Amounts are written in
the company's currency and the site's number format (fmt_money), dates in the site's date format.
The image is drawn by charts/render.py and travels as the Result's attachment: the outbox uploads
it and sends a WhatsApp image with the one-line caption (Result.text). No data: a sentence instead.
"""

from __future__ import annotations

import re

import frappe
from frappe import _
from frappe.utils import add_days, flt, fmt_money, getdate, nowdate

from whatsapp_chatbot import i18n, texts
from whatsapp_chatbot.charts import periods, render
from whatsapp_chatbot.tools import metadata
from whatsapp_chatbot.tools.erpnext import ITEM, resolve
from whatsapp_chatbot.tools.errors import CommandError
from whatsapp_chatbot.tools.generic import DOCTYPE, FILTERS, _period_field
from whatsapp_chatbot.tools.registry import LONG, Result, command
from whatsapp_chatbot.tools.schema import Param

PNG = "image/png"
TOP_DEFAULT = 10
MAX_GROUPS = 15  # bars of a grouped chart: more would not be readable
POINTS_FOR_MODEL = 31  # the model gets the numbers of small charts, to talk about them
LINE_ABOVE = 45  # time charts with more points are lines, not columns
GRAINS = list(periods.GRAINS)
# defaults (the last 30 days) are left out of the descriptions: every token of the tools is paid
# on every model call
FROM_DATE = Param("date", "", required=False)
TO_DATE = Param("date", "", required=False)


def language() -> str:
	"""The language the chart speaks: the turn's (set by the pipeline or the long-command job), else
	the user's; English whole when the site cannot say every sentence of the bot in it (so titles,
	DocType names and month names never mix two languages)."""
	chosen = frappe.flags.get("whatsapp_chatbot_language") or frappe.db.get_value(
		"User", frappe.session.user, "language"
	)
	return i18n.bot_language(chosen)


# -- the commands --------------------------------------------------------------------------------


@command(
	"sales_chart",
	"Chart of sales per day/week/month, or of top customers/items.",
	{
		"by": Param("string", "", enum=[*GRAINS, "customer", "item"]),
		"from_date": FROM_DATE,
		"to_date": TO_DATE,
		"top": Param("integer", "", required=False, minimum=1, maximum=MAX_GROUPS),
		"company": Param("string", "", required=False),
	},
	doctypes=("Sales Invoice",),
)
def sales_chart(by, from_date=None, to_date=None, top=None, company=None) -> Result:
	lang = language()
	start, end = period(from_date, to_date, lang)
	company = _company(company)
	currency = frappe.get_cached_value("Company", company, "default_currency")
	filters = {
		"docstatus": 1,
		"is_return": 0,
		"company": company,
		"posting_date": ("between", [start, end]),
	}
	money = _money(currency)
	if by in periods.GRAINS:
		rows = frappe.get_list(
			"Sales Invoice",
			filters=filters,
			fields=["posting_date as day", "sum(base_net_total) as total"],
			group_by="posting_date",
			order_by="posting_date asc",
		)
		title = texts.text(f"chart_sales_{by}", lang)
		chart = over_time(title, rows, start, end, by, lang, money, currency)
	else:
		if by == "customer":
			fields = ["customer as label", "sum(base_net_total) as total"]
			group_by = "customer"
		else:
			fields = [
				"`tabSales Invoice Item`.item_code as label",
				"sum(`tabSales Invoice Item`.base_net_amount) as total",
			]
			group_by = "`tabSales Invoice Item`.item_code"
		rows = frappe.get_list(
			"Sales Invoice",
			filters=filters,
			fields=fields,
			group_by=group_by,
			order_by="total desc",
			limit_page_length=top or TOP_DEFAULT,
		)
		title = texts.text(f"chart_top_{by}s", lang)
		chart = ranking(title, rows, money, currency)
	chart.subtitle = " · ".join((_period_text(start, end), company))
	return send(chart, lang, _period_text(start, end), f"sales-{by}-{start}-{end}")


@command(
	"stock_chart",
	"Chart of an item's stock per warehouse.",
	{"item": ITEM},
	doctypes=("Bin",),
)
def stock_chart(item) -> Result:
	lang = language()
	item_code = resolve("Item", item, "item_name")
	rows = frappe.get_list(
		"Bin",
		filters={"item_code": item_code, "actual_qty": ("!=", 0)},
		fields=["warehouse as label", "actual_qty as total"],
		order_by="actual_qty desc",
		limit_page_length=MAX_GROUPS,
	)
	uom = frappe.db.get_value("Item", item_code, "stock_uom") or ""
	chart = ranking(texts.text("chart_stock", lang, item=item_code), rows, _quantity, uom)
	today = frappe.format(getdate(), {"fieldtype": "Date"})
	chart.subtitle = today
	total = f"{_quantity(sum(flt(r.total) for r in rows))} {uom}".strip()
	return send(chart, lang, today, f"stock-{item_code}", total=total)


def _documents_size(doctype, date_field=None, from_date=None, to_date=None, filters=None, **_ignored):
	"""Documents the chart reads: above the long-command threshold it runs on the long queue. A
	name that does not check out counts as nothing, so the refusal comes at once, not from a job."""
	try:
		query = DocumentsQuery(doctype, None, None, date_field, from_date, to_date, filters, language())
		rows = frappe.get_list(query.meta.name, filters=query.conditions, fields=["count(*) as count"])
	except (CommandError, frappe.PermissionError, frappe.DoesNotExistError, frappe.ValidationError):
		return Result("", data=0)
	return Result("", data=rows[0]["count"] if rows else 0)


@command(
	"documents_chart",
	"Chart of any DocType: a field's sum, or a count, over time or per group.",
	{
		"doctype": DOCTYPE,
		"value_field": Param("string", "null: count", required=False),
		"group_by": Param("string", "null: over time", required=False),
		"date_field": Param("string", "", required=False),
		"from_date": FROM_DATE,
		"to_date": TO_DATE,
		"by": Param("string", "", required=False, enum=GRAINS),
		"filters": FILTERS,
	},
	kind=LONG,
	extra={"estimate": _documents_size},
)
def documents_chart(
	doctype,
	value_field=None,
	group_by=None,
	date_field=None,
	from_date=None,
	to_date=None,
	by=None,
	filters=None,
) -> Result:
	lang = language()
	query = DocumentsQuery(doctype, value_field, group_by, date_field, from_date, to_date, filters, lang)
	meta = query.meta
	# bare column names: frappe's field parser refuses a function around `tabX`.`field`
	total = f"sum(`{query.value_field}`)" if query.value_field else "count(*)"
	format_value = query.formatter()
	if query.group_by:
		rows = frappe.get_list(
			meta.name,
			filters=query.conditions,
			fields=[f"`{query.group_by}` as label", f"{total} as total"],
			group_by=f"`{query.group_by}`",
			order_by="total desc",
			limit_page_length=MAX_GROUPS,
		)
		chart = ranking(query.title(), rows, format_value, query.axis())
	else:
		grain = by or periods.choose_grain(query.start, query.end)
		day = f"date(`{query.date_field}`)"
		rows = frappe.get_list(
			meta.name,
			filters=query.conditions,
			fields=[f"{day} as day", f"{total} as total"],
			group_by=day,
			order_by="day asc",
		)
		chart = over_time(
			query.title(grain), rows, query.start, query.end, grain, lang, format_value, query.axis()
		)
	chart.subtitle = " · ".join((_period_text(query.start, query.end), query.label(query.date_field)))
	return send(chart, lang, _period_text(query.start, query.end), f"{frappe.scrub(meta.name)}-chart")


# -- building and sending ------------------------------------------------------------------------


def over_time(title, rows, start, end, grain, lang, format_value, axis) -> render.Chart:
	try:
		keys, values = periods.totals(((r.day, flt(r.total)) for r in rows), start, end, grain)
	except periods.TooManyBuckets as e:
		raise CommandError(
			texts.text("chart_too_many", lang, count=e.count, grain=texts.text(f"chart_{grain}s", lang))
		)
	return render.Chart(
		title,
		[periods.label(k, grain, lang) for k in keys],
		[render.Series(axis, values)],
		kind=render.BAR if len(keys) <= LINE_ABOVE else render.LINE,
		format_value=format_value,
		format_tick=_tick(format_value),
		value_axis=axis,
	)


def ranking(title, rows, format_value, axis) -> render.Chart:
	rows = [r for r in rows if flt(r.total)]
	return render.Chart(
		title,
		[str(r.label if r.label not in (None, "") else "-") for r in rows],
		[render.Series(axis, [flt(r.total) for r in rows])],
		kind=render.RANKING,
		format_value=format_value,
		format_tick=_tick(format_value),
		value_axis=axis,
	)


def send(chart: render.Chart, lang: str, period_text: str, name: str, total: str | None = None) -> Result:
	"""The chart as a PNG attachment with a one-line caption, or the sentence saying it is empty."""
	if render.is_empty(chart):
		sentence = texts.text("chart_empty", lang, title=chart.title, period=period_text)
		return Result(sentence, data={"image_sent": False, "empty": True, "message": sentence})
	values = chart.series[0].values
	total = total or chart.format_value(sum(values))
	caption = texts.text("chart_caption", lang, title=chart.title, period=period_text, total=total)
	data = {"image_sent": True, "title": chart.title, "period": period_text, "total": total}
	if len(values) <= POINTS_FOR_MODEL:
		data["points"] = [
			[label, chart.format_value(v)] for label, v in zip(chart.labels, values, strict=True) if v
		]
	filename = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-").lower() + ".png"
	return Result(caption[:200], data=data, attachment=(filename, render.render_png(chart), PNG))


def period(from_date, to_date, lang: str):
	start, end = getdate(from_date or add_days(nowdate(), -30)), getdate(to_date or nowdate())
	if start > end:
		raise CommandError(texts.text("chart_bad_period", lang))
	return start, end


def _period_text(start, end) -> str:
	return f"{frappe.format(start, {'fieldtype': 'Date'})} – {frappe.format(end, {'fieldtype': 'Date'})}"


def _company(company: str | None) -> str:
	if company:
		return resolve("Company", company, "company_name")
	default = frappe.defaults.get_user_default("Company")
	if default:
		return default
	companies = frappe.get_list("Company", pluck="name", limit_page_length=2)
	if len(companies) == 1:
		return companies[0]
	raise CommandError(texts.text("chart_which_company", language()))


def _money(currency: str | None):
	def money(value) -> str:
		return fmt_money(value, currency=currency)

	money.currency = currency  # for the axis ticks (_tick)
	return money


def _quantity(value) -> str:
	return fmt_money(value, precision=0 if float(value).is_integer() else 2)


def _tick(format_value):
	"""Axis ticks without decimals: the exact amounts are written on the bars."""
	if format_value is _quantity:
		return _quantity
	currency = getattr(format_value, "currency", None)
	return lambda value: fmt_money(value, precision=0, currency=currency)


class DocumentsQuery:
	"""What documents_chart reads, every name checked: DocType, fields (meta + permlevel), period."""

	def __init__(self, doctype, value_field, group_by, date_field, from_date, to_date, filters, lang):
		self.lang = lang
		self.meta = meta = metadata.doctype(doctype)
		if not frappe.has_permission(meta.name, "read"):
			raise frappe.PermissionError(f"You may not read {meta.name}")
		self.value_field = self._field(value_field, metadata.NUMERIC_TYPES) if value_field else None
		self.group_by = self._field(group_by) if group_by else None
		self.date_field = self._field(date_field or _period_field(meta), metadata.DATE_TYPES)
		self.start, self.end = period(from_date, to_date, lang)
		self.conditions = metadata.filters(meta, filters)
		for condition in self.conditions:
			self._field(condition[1])
		if meta.is_submittable and not any(c[1] == "docstatus" for c in self.conditions):
			self.conditions.append([meta.name, "docstatus", "=", 1])
		# whole days, for Date and Datetime fields alike
		self.conditions.append([meta.name, self.date_field, ">=", str(self.start)])
		self.conditions.append([meta.name, self.date_field, "<", str(add_days(self.end, 1))])

	def _field(self, fieldname: str, types: set[str] | None = None) -> str:
		fieldname = metadata.field(self.meta, fieldname, types)
		df = self.meta.get_field(fieldname)
		# level 0 comes with read on the DocType; higher levels need a role that grants them
		if df and df.permlevel and df.permlevel not in self.meta.get_permlevel_access("read"):
			# as if it did not exist
			raise CommandError(
				_("{doctype} has no field “{field}”.").format(doctype=_(self.meta.name), field=fieldname)
			)
		return fieldname

	def label(self, fieldname: str) -> str:
		"""The field's label in the user's language (Frappe's own translations)."""
		label = self.meta.get_label(fieldname) if fieldname not in metadata.STANDARD_FIELDS else fieldname
		return _(label, lang=self.lang)

	def title(self, grain: str | None = None) -> str:
		what = (
			self.label(self.value_field)
			if self.value_field
			else texts.text("chart_count_of", self.lang, doctype=_(self.meta.name, lang=self.lang))
		)
		by = texts.text(f"chart_{grain}", self.lang) if grain else self.label(self.group_by)
		return texts.text("chart_by", self.lang, what=what, by=by)

	def axis(self) -> str:
		return self.label(self.value_field) if self.value_field else texts.text("chart_count", self.lang)

	def formatter(self):
		if not self.value_field:
			return _quantity
		df = self.meta.get_field(self.value_field)
		if df and df.fieldtype == "Currency":
			return _money(self._currency(df))
		return _quantity

	def _currency(self, df) -> str | None:
		"""A Currency field names its currency directly, or through a field of the document (which
		may differ per document): then the company's, as ERPNext's base amounts are."""
		options = (df.options or "").strip()
		if options and frappe.db.exists("Currency", options):
			return options
		company = frappe.defaults.get_user_default("Company")
		return frappe.get_cached_value("Company", company, "default_currency") if company else None
