// Copyright (c) 2026, whatsapp_chatbot developers
// For license information, please see license.txt

const TEMPLATES_API = "whatsapp_chatbot.api.templates";
const esc = (value) => frappe.utils.escape_html(value == null ? "" : String(value));

frappe.ui.form.on("Chatbot Template", {
	refresh(frm) {
		if (frm.is_new()) return;
		render_preview(frm);
		if (frm.doc.status === "APPROVED") {
			frm.add_custom_button(__("Send Test"), () => send_test_dialog(frm));
		}
		if (frm.doc.missing_at_meta) {
			frm.dashboard.set_headline(
				__("Meta no longer lists this template: it cannot be sent. Sync from Meta again, or delete it when nothing uses it."),
				"orange"
			);
		} else if (frm.doc.flagged) {
			frm.dashboard.set_headline(esc(frm.doc.status_reason || __("Flagged by Meta")), "orange");
		}
	},
});

async function render_preview(frm) {
	const field = frm.get_field("preview");
	if (!field) return;
	const data = await frappe.xcall(`${TEMPLATES_API}.preview`, { template: frm.doc.name });
	frm.__template_preview = data;
	field.$wrapper.html(frappe.render_template("chatbot_template_preview", { data: { ...data, name: frm.doc.name }, esc }));
}

async function send_test_dialog(frm) {
	const data = frm.__template_preview || (await frappe.xcall(`${TEMPLATES_API}.preview`, { template: frm.doc.name }));
	const fields = [
		{
			fieldname: "contact",
			fieldtype: "Link",
			options: "Chatbot Contact",
			label: __("Contact"),
			reqd: 1,
		},
	];
	if (data.media_header) {
		fields.push({
			fieldname: "file",
			fieldtype: "Attach",
			label: __("Header file ({0})", [data.media_header]),
			description: __("Leave empty to send the app's sample PDF."),
		});
	}
	if (data.fields.length) fields.push({ fieldtype: "Section Break", label: __("Parameters") });
	data.fields.forEach((param, index) => {
		fields.push({
			fieldname: `param_${index}`,
			fieldtype: "Data",
			label: param.label,
			default: param.example,
			reqd: param.optional ? 0 : 1,
		});
	});
	const dialog = new frappe.ui.Dialog({
		title: __("Send Test: {0}", [frm.doc.name]),
		fields,
		primary_action_label: __("Send"),
		primary_action: async (values) => {
			const message = await frappe.xcall(`${TEMPLATES_API}.send_test`, {
				template: frm.doc.name,
				contact: values.contact,
				params: JSON.stringify(collect_params(frm, data, values)),
				file: values.file || null,
			});
			dialog.hide();
			frappe.msgprint({
				title: __("Test queued"),
				indicator: "green",
				message: __("Queued as {0}: its status shows whether Meta accepted it.", [
					frappe.utils.get_form_link("Chatbot Message", message.message, true),
				]),
			});
		},
	});
	dialog.show();
}

function collect_params(frm, data, values) {
	// {"body": [..] or {name: ..}, "header": .., "buttons": {index: ..}} as template_message takes it
	const named = frm.doc.parameter_format === "Named";
	const params = {};
	data.fields.forEach((param, index) => {
		const value = values[`param_${index}`];
		if (value == null || value === "") return;
		if (param.part === "buttons") {
			params.buttons = params.buttons || {};
			params.buttons[param.key] = value;
		} else if (named) {
			params[param.part] = params[param.part] || {};
			params[param.part][param.key] = value;
		} else {
			params[param.part] = params[param.part] || [];
			params[param.part][Number(param.key) - 1] = value;
		}
	});
	return params;
}
