// Copyright (c) 2026, whatsapp_chatbot developers
// For license information, please see license.txt

frappe.ui.form.on("Chatbot Remote Site", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Test connection"), () => ask_for_key(frm));
	},
});

// The login step needs an API key of a remote user: the manager's own Remote Access for this site
// is used when left empty; a key typed here is used for this test only and is not stored.
function ask_for_key(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Test connection to {0}", [frm.doc.site_name]),
		fields: [
			{
				fieldname: "api_key",
				fieldtype: "Data",
				label: __("API Key (optional)"),
				description: __("Leave empty to log in with your own Remote Access for this site."),
			},
			{ fieldname: "api_secret", fieldtype: "Password", label: __("API Secret (optional)") },
		],
		primary_action_label: __("Test"),
		primary_action(values) {
			// the secret must not linger in the page once it was sent
			dialog.clear();
			dialog.hide();
			dialog.$wrapper.remove();
			run_test(frm, values);
		},
	});
	dialog.show();
}

function run_test(frm, values) {
	frappe.call({
		method: "whatsapp_chatbot.api.remote_site.test_connection",
		args: { remote_site: frm.doc.name, api_key: values.api_key, api_secret: values.api_secret },
		freeze: true,
		freeze_message: __("Connecting to {0}…", [frm.doc.site_name]),
		callback(r) {
			const report = r.message;
			frappe.msgprint({
				title: report.ok ? __("Connection works") : __("Connection failed"),
				indicator: report.ok ? "green" : "red",
				message: frappe.render_template("chatbot_remote_site_test", { report }),
			});
			frm.reload_doc();
		},
	});
}
