// Managers pause and resume a subscription here; what it runs is set from WhatsApp (or below).
frappe.ui.form.on("Chatbot Subscription", {
	refresh(frm) {
		if (frm.is_new() || !frm.perm[0].write) {
			return;
		}
		const resume = !frm.doc.enabled;
		frm.add_custom_button(resume ? __("Resume") : __("Pause"), () => {
			frm.set_value("enabled", resume ? 1 : 0);
			frm.save();
		});
		if (!resume && frm.doc.failures) {
			frm.dashboard.set_headline(
				__("The last {0} run(s) failed; three in a row pause it.", [frm.doc.failures]),
				"red"
			);
		}
	},
});
