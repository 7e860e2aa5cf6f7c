// Copyright (c) 2026, whatsapp_chatbot developers
// For license information, please see license.txt

frappe.ui.form.on("Chatbot Message", {
	refresh(frm) {
		if (["Failed", "Ignored"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Run Again"), () =>
				frappe
					.xcall("whatsapp_chatbot.api.desk.reprocess", { message: frm.doc.name })
					.then(() => frm.reload_doc())
			);
		}
	},
});
