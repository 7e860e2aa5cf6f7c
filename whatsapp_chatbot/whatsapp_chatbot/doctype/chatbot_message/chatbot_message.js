// Copyright (c) 2026, whatsapp_chatbot developers
// For license information, please see license.txt

frappe.ui.form.on("Chatbot Message", {
	refresh(frm) {
		// a failed or held outgoing message: Meta's code and text, and what to do (review/meta_errors.py)
		const failure = frm.doc.__onload && frm.doc.__onload.meta_error;
		if (failure) {
			frm.set_intro(
				frappe.render_template("chatbot_message_error", {
					failure: failure,
					esc: (value) => frappe.utils.escape_html(value == null ? "" : String(value)),
				}),
				frm.doc.status === "Held" ? "orange" : "red"
			);
		}
		if (["Failed", "Ignored"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Run Again"), () =>
				frappe
					.xcall("whatsapp_chatbot.api.desk.reprocess", { message: frm.doc.name })
					.then(() => frm.reload_doc())
			);
		}
	},
});
