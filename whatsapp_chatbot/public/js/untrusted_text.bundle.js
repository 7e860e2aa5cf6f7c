// What a WhatsApp sender, a document they sent, the model, Meta or a remote site wrote is shown in
// the Desk as text, never as markup, whatever view shows it.
//
// The fields holding such text are listed once, in review/untrusted_fields.py, and arrive in the
// boot (hooks.boot_session). Frappe inserts Data and Text values into list views, report views and
// read-only form fields as HTML, through frappe.format and the field's formatter; each listed field
// gets a formatter that escapes, installed whenever a DocType's meta is synced (every path that
// loads a meta goes through frappe.meta.sync). Three places show a value without frappe.format
// and are escaped here too: the form header (a title field), the sidebar's group-by counts and a
// Link field's suggestions (a contact's title is the sender's profile name).
// Storage is untouched: the database keeps what was written.

frappe.provide("whatsapp_chatbot.untrusted");

(() => {
	const BOOT_KEY = "whatsapp_chatbot_untrusted_fields";
	const MULTILINE = ["Small Text", "Text", "Long Text"];
	const INSTALLED = "__whatsapp_chatbot_as_text";
	const escape = (value) => frappe.utils.escape_html(value == null ? "" : String(value));

	const sent = () => (frappe.boot && frappe.boot[BOOT_KEY]) || {};
	const fields_of = (doctype) => (sent().fields || {})[doctype] || [];
	// DocTypes whose title is untrusted: known without their meta (a Link field's target may not
	// be loaded)
	const title_is_untrusted = (doctype) => Boolean(doctype && (sent().titles || {})[doctype]);

	function as_text(value, multiline) {
		const text = escape(value);
		return multiline ? text.replace(/\r?\n/g, "<br>") : text;
	}

	// Frappe calls a field's `formatter` in two ways:
	// - frappe.format(value, df, options, doc) uses df.formatter instead of the type's formatter
	//   (the meta's docfield, and the per-document copies the form makes of it): the stored value;
	// - the type's formatter ends with _apply_custom_formatter(value, df): for a Text field its
	//   newlines are <br> already (unless the text held <p, <div, <br or <table).
	// ControlInput.set_disp_area escapes a read-only Data field before frappe.format (the one
	// caller passing options.no_icon and options.inline): that value is text already.
	function format_as_text(value, df, options) {
		const multiline = MULTILINE.includes(df && df.fieldtype);
		if (arguments.length <= 2) {
			if (!multiline) return as_text(value);
			const html = value == null ? "" : String(value);
			if (/\n|<p|<div|<table/.test(html)) return as_text(html, true);
			return html.split("<br>").map(escape).join("<br>");
		}
		if (df && df.fieldtype === "Data" && options && options.no_icon && options.inline) return value;
		return as_text(value, multiline);
	}
	format_as_text[INSTALLED] = true;

	function install(doctype) {
		const fields = frappe.meta.docfield_map[doctype] || {};
		for (const fieldname of fields_of(doctype)) {
			const df = fields[fieldname];
			if (df && !df.formatter) df.formatter = format_as_text;
		}
	}

	whatsapp_chatbot.untrusted.install_all = () => Object.keys(frappe.meta.docfield_map).forEach(install);
	whatsapp_chatbot.untrusted.format_as_text = format_as_text;

	const sync = frappe.meta.sync;
	frappe.meta.sync = function (doc) {
		const out = sync.apply(this, arguments);
		if (doc && doc.name) install(doc.name);
		return out;
	};
	// metas synced before this file ran (none in a normal boot; kept for a late include)
	whatsapp_chatbot.untrusted.install_all();
	$(document).on("app_ready", whatsapp_chatbot.untrusted.install_all);

	// The form header: Frappe strips tags from the title (so "<b>Ana</b>" reads "Ana" and an
	// <img> vanishes); show the title as written instead.
	const Toolbar = frappe.ui.form.Toolbar;
	if (Toolbar) {
		const set_title = Toolbar.prototype.set_title;
		Toolbar.prototype.set_title = function () {
			const out = set_title.apply(this, arguments);
			const frm = this.frm;
			if (!frm.is_new() && title_is_untrusted(frm.doctype)) {
				const title = String(frm.doc[sent().titles[frm.doctype]] || "").trim();
				if (title) this.page.set_title(escape(title), null, false, `${title} - ${frm.docname}`, title);
			}
			return out;
		};
	}

	// The list sidebar's group-by counts insert each value as HTML; Data fields may be grouped by.
	const ListGroupBy = frappe.views.ListGroupBy;
	if (ListGroupBy) {
		const get_dropdown_html = ListGroupBy.prototype.get_dropdown_html;
		ListGroupBy.prototype.get_dropdown_html = function (field, fieldtype, applied) {
			if (!fields_of(this.doctype).length || typeof field.name !== "string") {
				return get_dropdown_html.apply(this, arguments);
			}
			const html = get_dropdown_html.call(this, { ...field, name: escape(field.name) }, fieldtype, applied);
			// the filter a click applies is the stored value
			const $item = $(html.trim()).attr("data-value", encodeURIComponent(field.name));
			return $item.prop("outerHTML");
		};
	}

	// A Link field's suggestions show the linked document's title as HTML.
	const ControlLink = frappe.ui.form.ControlLink;
	if (ControlLink) {
		const setup = ControlLink.prototype.setup_awesomeplete;
		ControlLink.prototype.setup_awesomeplete = function () {
			const out = setup.apply(this, arguments);
			const control = this;
			const item = this.awesomplete && this.awesomplete.item;
			if (!item) return out;
			this.awesomplete.item = function (suggestion) {
				const d = this.get_item(suggestion.value);
				// d.html: Frappe's own entries ("Create a new …", "Advanced Search")
				if (!d || d.html || !title_is_untrusted(control.get_options())) {
					return item.apply(this, arguments);
				}
				const saved = { label: d.label, description: d.description };
				d.label = escape(d.label || d.value);
				if (d.description) d.description = escape(d.description);
				let element;
				try {
					element = item.apply(this, arguments);
				} finally {
					Object.assign(d, saved);
				}
				const title = element && element.querySelector("p[title]");
				if (title) title.title = saved.label || d.value; // an attribute: text already
				return element;
			};
			return out;
		};
	}
})();
