// Copyright (c) 2026, whatsapp_chatbot developers
// For license information, please see license.txt

// Arguments and result shown readably (chatbot_command_details.html), live progress of a long
// command (the job publishes "whatsapp_chatbot_progress" to this document's room, which the open
// form is subscribed to), Re-run as the original user and Cancel for queued or running work.
const COMMAND_DESK = "whatsapp_chatbot.api.desk";

frappe.ui.form.on("Chatbot Command", {
	setup(frm) {
		frappe.realtime.on("whatsapp_chatbot_progress", (data) => {
			if (!data || data.name !== frm.doc.name) return;
			show_progress(frm, data.progress, data.note, data.status);
			if (["Succeeded", "Failed", "Cancelled"].includes(data.status)) frm.reload_doc();
		});
	},
	refresh(frm) {
		show_progress(frm, frm.doc.progress, frm.doc.progress_note, frm.doc.status);
		render_details(frm);
		if (frm.is_new()) return;
		if (["Queued", "Running"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Cancel"), () => cancel_command(frm)).addClass("btn-danger");
		} else {
			frm.add_custom_button(__("Re-run"), () => rerun_command(frm));
		}
	},
});

function show_progress(frm, percent, note, status) {
	if (!["Queued", "Running"].includes(status)) {
		// hide_progress(title) fails on a form that never showed that bar
		if ((frm.dashboard._progress_map || {})[__("Progress")]) frm.dashboard.hide_progress(__("Progress"));
		return;
	}
	// the note is a long command's (or a remote site's) words: Frappe writes a new bar's message as
	// HTML, so the bar gets none and the note is set as text
	frm.dashboard.show_progress(__("Progress"), percent || 0);
	frm.dashboard._progress_map[__("Progress")].find(".progress-message").text(note || __(status));
}

function render_details(frm) {
	let parsed = {};
	try {
		parsed = JSON.parse(frm.doc.arguments || "{}") || {};
	} catch (e) {
		parsed = { [__("Arguments")]: frm.doc.arguments };
	}
	const args = Object.entries(parsed).map(([key, value]) => ({
		key: key,
		value: value !== null && typeof value === "object" ? JSON.stringify(value) : String(value),
	}));
	$(frm.fields_dict.details.wrapper).html(
		frappe.render_template("chatbot_command_details", {
			doc: frm.doc,
			args: args,
			esc: (value) => frappe.utils.escape_html(value == null ? "" : String(value)),
		})
	);
}

function rerun_command(frm) {
	const write = frm.doc.kind === "Write" || frm.doc.preview;
	const esc = frappe.utils.escape_html; // frappe.confirm and show_alert take HTML
	const message = write
		? __(
				"Send {0} to {1} again as a new preview? It runs only if they press Confirm on WhatsApp.",
				[esc(frm.doc.command), esc(frm.doc.run_as)]
		  )
		: __("Run {0} again as {1}? The answer is sent to them on WhatsApp.", [
				esc(frm.doc.command),
				esc(frm.doc.run_as),
		  ]);
	frappe.confirm(message, () =>
		frappe.xcall(`${COMMAND_DESK}.rerun_command`, { command: frm.doc.name }).then((r) => {
			frappe.show_alert({
				message: r.command
					? __("Started {0} ({1})", [esc(r.command), __(r.status)])
					: __("Sent to the contact"),
				indicator: "green",
			});
			if (r.command) frappe.set_route("Form", "Chatbot Command", r.command);
		})
	);
}

function cancel_command(frm) {
	frappe.confirm(__("Stop {0}? The contact is told it was stopped.", [frm.doc.name]), () =>
		frappe.xcall(`${COMMAND_DESK}.cancel_command`, { command: frm.doc.name }).then((status) => {
			frappe.show_alert({
				message:
					status === "Cancelled"
						? __("Cancelled")
						: __("Asked to stop: it stops at its next step"),
				indicator: "orange",
			});
			frm.reload_doc();
		})
	);
}
