// Steer: a manager takes over a Chatbot Conversation, replies from the form, and hands it back.
// Loaded next to the DocType's own form script (hooks.doctype_js), which draws the transcript.

const DESK = "whatsapp_chatbot.api.desk";

frappe.ui.form.on("Chatbot Conversation", {
	setup(frm) {
		frappe.realtime.on("whatsapp_chatbot_conversation", (data) => {
			if (data.conversation === frm.doc.name && data.status !== frm.doc.status) frm.reload_doc();
		});
	},
	refresh(frm) {
		if (frm.is_new()) return;
		const status = frm.doc.status;
		if (["Open", "Waiting"].includes(status)) {
			frm.add_custom_button(__("Take Over"), () => steer(frm, "take_over")).addClass("btn-primary");
		}
		frm.dashboard.clear_headline(); // Frappe appends headlines: one per refresh otherwise
		if (status === "Human") {
			frm.add_custom_button(__("Hand Back to the Bot"), () => steer(frm, "hand_back"));
			frm.dashboard.set_headline(
				__("Taken over by {0}: the bot is silent, your replies go to the contact.", [
					frappe.utils.escape_html(frappe.user.full_name(frm.doc.taken_over_by)),
				]),
				"orange"
			);
		} else if (status === "Waiting") {
			frm.dashboard.set_headline(__("The contact asked to talk to a person."), "red");
		}
		ReplyBox.render(frm);
	},
});

async function steer(frm, method) {
	await frappe.xcall(`${DESK}.${method}`, { conversation: frm.doc.name });
	frappe.show_alert({
		message: method === "take_over" ? __("You have the conversation") : __("The bot answers again"),
		indicator: "green",
	});
	frm.reload_doc();
}

class ReplyBox {
	static render(frm) {
		const field = frm.get_field("reply_box");
		if (!field) return;
		field.$wrapper.empty();
		if (frm.doc.status !== "Human") return;
		new ReplyBox(frm, field.$wrapper);
	}

	constructor(frm, $wrapper) {
		this.frm = frm;
		this.text = frappe.ui.form.make_control({
			parent: $wrapper,
			df: { fieldtype: "Small Text", fieldname: "chatbot_reply", label: __("Your reply") },
			render_input: true,
		});
		this.send = frappe.ui.form.make_control({
			parent: $wrapper,
			df: {
				fieldtype: "Button",
				fieldname: "chatbot_send_reply",
				label: __("Send"),
				click: () => this.submit(),
			},
			render_input: true,
		});
		this.send.$input.addClass("btn-primary");
	}

	async submit() {
		const text = (this.text.get_value() || "").trim();
		if (!text) return;
		this.send.$input.prop("disabled", true);
		try {
			const parts = await frappe.xcall(`${DESK}.send_reply`, {
				conversation: this.frm.doc.name,
				text,
			});
			this.report(parts);
			this.text.set_value("");
			this.frm.reload_doc();
		} finally {
			this.send.$input.prop("disabled", false);
		}
	}

	report(parts) {
		const failed = parts.filter((part) => part.status === "Failed");
		const waiting = parts.filter((part) => part.status === "Queued");
		const held = parts.filter((part) => part.status === "Held");
		if (failed.length) {
			frappe.msgprint({
				title: __("Not delivered"),
				indicator: "red",
				message: failed.map((part) => frappe.utils.escape_html(part.error_message || "")).join("<br>"),
			});
		} else if (held.length) {
			// the 24-hour window is closed: kept, and sent in order when the contact writes
			frappe.show_alert({
				message: __("Held until the contact writes: {0}", [
					frappe.utils.escape_html(held[0].error_message || ""),
				]),
				indicator: "orange",
			});
		} else if (waiting.length) {
			frappe.show_alert({
				message: __("Meta asked us to wait; it will be sent again: {0}", [
					frappe.utils.escape_html(waiting[0].error_message || ""),
				]),
				indicator: "orange",
			});
		} else {
			frappe.show_alert({ message: __("Sent"), indicator: "green" });
		}
	}
}
