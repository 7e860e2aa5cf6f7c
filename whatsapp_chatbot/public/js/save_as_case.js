// Save as Case: a manager turns a real exchange into an evaluation case (evaluation/save_case.py).
// Loaded next to the Chatbot Command form's own script (hooks.doctype_js). The dialog is prefilled
// with the user's messages that led to the command, the command and the arguments the bot chose;
// the manager corrects what the bot got wrong and saves.

frappe.ui.form.on("Chatbot Command", {
	refresh(frm) {
		if (frm.is_new() || !frm.doc.message) return;
		if (!frappe.user.has_role("System Manager") && !frappe.user.has_role("WhatsApp Chatbot Manager")) return;
		frm.add_custom_button(__("Save as Case"), () => save_as_case(frm));
	},
});

function save_as_case(frm) {
	const API = "whatsapp_chatbot.api.evaluation";
	frappe.xcall(`${API}.case_from_command`, { command: frm.doc.name }).then((proposal) => {
		const dialog = new frappe.ui.Dialog({
			title: __("Save as Evaluation Case"),
			size: "large",
			fields: [
				{ fieldname: "case_id", fieldtype: "Data", label: __("Case ID"), reqd: 1 },
				{ fieldname: "title", fieldtype: "Data", label: __("Title") },
				{ fieldname: "tags", fieldtype: "Data", label: __("Tags") },
				{ fieldtype: "Column Break" },
				{ fieldname: "language", fieldtype: "Link", options: "Language", label: __("Language"), reqd: 1 },
				{ fieldname: "run_as", fieldtype: "Link", options: "User", label: __("Run As") },
				{ fieldtype: "Section Break", label: __("Exchange") },
				{
					fieldname: "messages",
					fieldtype: "Table",
					label: __("Messages"),
					description: __("The last row is the user's message to judge."),
					cannot_add_rows: false,
					in_place_edit: true,
					fields: [
						{
							fieldname: "role",
							fieldtype: "Select",
							options: "user\nassistant",
							label: __("Role"),
							in_list_view: 1,
							columns: 2,
						},
						{
							fieldname: "content",
							fieldtype: "Small Text",
							label: __("Content"),
							in_list_view: 1,
							columns: 8,
							// what the sender wrote: shown as text, never as markup
							formatter: whatsapp_chatbot.untrusted.format_as_text,
						},
					],
					data: proposal.messages,
				},
				{ fieldtype: "Section Break", label: __("Expected") },
				{
					fieldname: "expect",
					fieldtype: "Select",
					options: "Command\nQuestion\nRefusal\nAnswer",
					label: __("Expect"),
					reqd: 1,
				},
				{
					fieldname: "expected_command",
					fieldtype: "Data",
					label: __("Expected Command"),
					depends_on: "eval:doc.expect=='Command'",
				},
				{ fieldname: "answer_contains", fieldtype: "Data", label: __("Answer Contains") },
				{ fieldtype: "Column Break" },
				{
					fieldname: "expected_arguments",
					fieldtype: "Code",
					options: "JSON",
					label: __("Expected Arguments"),
					depends_on: "eval:doc.expect=='Command'",
					description: __("Correct them if the bot got them wrong; arguments not listed are not judged."),
				},
				{ fieldtype: "Section Break" },
				{ fieldname: "notes", fieldtype: "Small Text", label: __("Notes") },
			],
			primary_action_label: __("Save Case"),
			primary_action(values) {
				const rows = (values.messages || []).map((m) => ({ role: m.role, content: m.content }));
				frappe
					.xcall(`${API}.save_case`, {
						command: frm.doc.name,
						case: { ...values, messages: rows, today: proposal.today },
					})
					.then((name) => {
						dialog.hide();
						frappe.show_alert({
							message: __("Saved as case {0}", [
								`<a href="/app/chatbot-evaluation-case/${encodeURIComponent(name)}">${frappe.utils.escape_html(name)}</a>`,
							]),
							indicator: "green",
						});
					});
			},
		});
		const { messages, ...fields } = proposal;
		dialog.set_values(fields);
		dialog.show();
	});
}
