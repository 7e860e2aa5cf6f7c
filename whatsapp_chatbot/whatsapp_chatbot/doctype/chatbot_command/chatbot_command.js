// Copyright (c) 2026, whatsapp_chatbot developers
// For license information, please see license.txt

// Live progress of a long command: the job publishes "whatsapp_chatbot_progress" to this
// document's room (the open form is subscribed) and to its user.
frappe.ui.form.on("Chatbot Command", {
	refresh(frm) {
		show_progress(frm, frm.doc.progress, frm.doc.progress_note, frm.doc.status);
		if (frm.whatsapp_chatbot_listening) return;
		frm.whatsapp_chatbot_listening = true;
		frappe.realtime.on("whatsapp_chatbot_progress", (data) => {
			if (!data || data.name !== frm.doc.name) return;
			show_progress(frm, data.progress, data.note, data.status);
			if (["Succeeded", "Failed", "Cancelled"].includes(data.status)) frm.reload_doc();
		});
	},
});

function show_progress(frm, percent, note, status) {
	if (!["Queued", "Running"].includes(status)) {
		frm.dashboard.hide_progress && frm.dashboard.hide_progress(__("Progress"));
		return;
	}
	frm.dashboard.show_progress(__("Progress"), percent || 0, note || status);
}
