// Copyright (c) 2026, whatsapp_chatbot developers
// For license information, please see license.txt

const SETUP = "whatsapp_chatbot.api.setup";
const TURN_QUEUE = "whatsapp_chatbot.api.turn_queue";

frappe.ui.form.on("WhatsApp Chatbot Settings", {
	refresh(frm) {
		if (frm.doc.access_token_invalid_since) {
			frm.dashboard.set_headline(
				__("Meta rejected the access token on {0}. Save a new token to resume sending.", [
					frappe.datetime.str_to_user(frm.doc.access_token_invalid_since),
				]),
				"red"
			);
		}
		const group = __("Set Up");
		frm.add_custom_button(__("Copy Webhook URL"), () => copy_webhook_url(frm), group);
		frm.add_custom_button(__("Generate Verify Token"), () => generate_verify_token(frm), group);
		frm.add_custom_button(__("Test Graph API"), () => run_check(frm, "test_graph_api"), group);
		frm.add_custom_button(__("Test OpenAI"), () => run_check(frm, "test_openai"), group);
		frm.add_custom_button(__("Create the app's templates"), () => create_app_templates(frm), group);
		add_copy_button(frm);
		show_turn_queue(frm);
	},
});

async function show_turn_queue(frm) {
	// read-only figures of the queue the turns wait in (channel/backlog.py); the HTML field is ours
	const status = await frappe.xcall(`${TURN_QUEUE}.status`);
	if (!status.workers) {
		frm.dashboard.add_indicator(
			__("No worker serves the turn queue {0}", [frappe.utils.escape_html(status.queue)]),
			"red"
		);
	}
	const seconds = (value) => (value === null || value === undefined ? "—" : format_number(value, null, 1));
	frm.get_field("turn_queue_status").$wrapper.html(
		frappe.render_template("whatsapp_chatbot_settings_queue", { status, seconds })
	);
}

function copy_webhook_url(frm) {
	if (frm.doc.webhook_url) frappe.utils.copy_to_clipboard(frm.doc.webhook_url);
}

function add_copy_button(frm) {
	// a copy button next to the read-only URL, where the manager looks for it
	const field = frm.get_field("webhook_url");
	if (!field || field.$wrapper.find(".btn-copy-webhook").length) return;
	$(`<button class="btn btn-xs btn-default btn-copy-webhook">`)
		.text(__("Copy"))
		.on("click", () => copy_webhook_url(frm))
		.appendTo(field.$wrapper.find(".control-value, .control-input-wrapper").first());
}

async function generate_verify_token(frm) {
	const token = await frappe.xcall(`${SETUP}.generate_verify_token`);
	frm.set_value("verify_token", token);
	await frm.save();
	frappe.msgprint({
		title: __("Verify Token"),
		indicator: "green",
		message: frappe.render_template("whatsapp_chatbot_settings_token", { token }),
	});
}

async function run_check(frm, method) {
	if (frm.is_dirty()) await frm.save(); // the check uses what is saved
	const { message: result } = await frappe.call({
		method: `${SETUP}.${method}`,
		freeze: true,
		freeze_message: __("Checking…"),
	});
	frappe.msgprint({
		title: method === "test_graph_api" ? __("Graph API") : __("OpenAI"),
		indicator: result.ok ? "green" : "red",
		message: frappe.render_template("whatsapp_chatbot_settings_check", { method, result }),
	});
	return result;
}

async function create_app_templates(frm) {
	if (frm.is_dirty()) await frm.save(); // the account and token as saved
	const { message: result } = await frappe.call({
		method: `${SETUP}.create_app_templates`,
		freeze: true,
		freeze_message: __("Submitting the app's templates to Meta…"),
	});
	frappe.msgprint({
		title: __("The app's templates"),
		indicator: result.failed.length ? "orange" : "green",
		message: frappe.utils.escape_html(result.summary).replace(/\n/g, "<br>"),
	});
	frm.reload_doc();
}
