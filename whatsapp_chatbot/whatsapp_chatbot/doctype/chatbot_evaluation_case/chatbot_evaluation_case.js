// Copyright (c) 2026, whatsapp_chatbot developers
// For license information, please see license.txt

// Evaluate: a run of this one case (a Chatbot Evaluation Run whose Cases filter is its id), queued
// at once; the run's form shows the result.
frappe.ui.form.on("Chatbot Evaluation Case", {
	refresh(frm) {
		if (frm.is_new()) return;
		if (!frappe.user.has_role("System Manager") && !frappe.user.has_role("WhatsApp Chatbot Manager")) return;
		frm.add_custom_button(__("Evaluate"), () =>
			frappe.db
				.insert({ doctype: "Chatbot Evaluation Run", cases_filter: frm.doc.name, repeat: 1 })
				.then((run) =>
					frappe.xcall("whatsapp_chatbot.api.evaluation.start_run", { run: run.name })
				)
				.then((name) => frappe.set_route("Form", "Chatbot Evaluation Run", name))
		);
	},
});
