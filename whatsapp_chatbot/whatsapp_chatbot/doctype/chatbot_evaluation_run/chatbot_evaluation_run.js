// Copyright (c) 2026, whatsapp_chatbot developers
// For license information, please see license.txt

// Run queues the evaluation as a long job (evaluation/runner.py); the job commits each case and
// publishes "whatsapp_chatbot_evaluation_progress" to this document's room, so the bar and the
// per-case report (chatbot_evaluation_run_report.html) move while it runs.
const EVALUATION_API = "whatsapp_chatbot.api.evaluation";
const EVALUATION_EVENT = "whatsapp_chatbot_evaluation_progress";

frappe.ui.form.on("Chatbot Evaluation Run", {
	setup(frm) {
		frappe.realtime.on(EVALUATION_EVENT, (data) => {
			if (!data || data.name !== frm.doc.name) return;
			show_run_progress(frm, data.progress, data.done, data.total);
			if (data.status === "Completed" || data.status === "Failed" || data.progress >= 100) {
				frm.reload_doc();
			} else {
				render_report(frm);
			}
		});
	},
	refresh(frm) {
		show_run_progress(frm, frm.doc.progress);
		render_report(frm);
		if (frm.is_new() || !is_manager()) return;
		if (frm.doc.status === "Draft") {
			frm.add_custom_button(__("Run"), () => start_run(frm)).addClass("btn-primary");
		} else if (!["Queued", "Running"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Run Again"), () => start_run(frm));
		}
	},
});

function is_manager() {
	return frappe.user.has_role("System Manager") || frappe.user.has_role("WhatsApp Chatbot Manager");
}

function start_run(frm) {
	const go = () =>
		frappe.xcall(`${EVALUATION_API}.start_run`, { run: frm.doc.name }).then((name) => {
			frappe.show_alert({ message: __("Evaluation {0} queued", [name]), indicator: "blue" });
			if (name !== frm.doc.name) frappe.set_route("Form", "Chatbot Evaluation Run", name);
			else frm.reload_doc();
		});
	if (frm.is_dirty()) frm.save().then(go);
	else go();
}

function show_run_progress(frm, percent, done, total) {
	const title = __("Evaluating");
	if (!["Queued", "Running"].includes(frm.doc.status) && !(percent > 0 && percent < 100)) {
		if ((frm.dashboard._progress_map || {})[title]) frm.dashboard.hide_progress(title);
		return;
	}
	frm.dashboard.show_progress(title, percent || 0);
	const note = total ? __("{0} of {1} cases", [done, total]) : __(frm.doc.status);
	frm.dashboard._progress_map[title].find(".progress-message").text(note);
}

function render_report(frm) {
	const wrapper = $(frm.fields_dict.report.wrapper);
	if (frm.is_new() || frm.doc.status === "Draft") {
		wrapper.empty();
		return;
	}
	frappe.xcall(`${EVALUATION_API}.run_report`, { run: frm.doc.name }).then((report) => {
		const esc = (value) => frappe.utils.escape_html(value == null ? "" : String(value));
		wrapper.html(
			frappe.render_template("chatbot_evaluation_run_report", {
				...report,
				part_labels: {
					command: __("Right command"),
					arguments: __("Right arguments"),
					asked: __("Asked when it should"),
					refused: __("Refused when it should"),
					language: __("In the user's language"),
					answer: __("Answer says what it should"),
				},
				part_short: {
					command: __("Cmd"),
					arguments: __("Args"),
					asked: __("Ask"),
					refused: __("Ref"),
					language: __("Lang"),
					answer: __("Ans"),
				},
				esc: esc,
				link: (doctype, name) =>
					`<a href="/app/${frappe.router.slug(doctype)}/${encodeURIComponent(name)}">${esc(name)}</a>`,
				format_percent: (value) => `${format_number(value || 0, null, 1)} %`,
				format_number: (value) => format_number(value || 0, null, 0),
				format_cost: (value) => format_number(value || 0, null, 4),
				format_seconds: (value) => format_number(value || 0, null, 2),
			})
		);
	});
}
