// Where the manager types: the input and its Send button on one line, under the chat.
whatsapp_chatbot.playground.Composer = class Composer {
	constructor($parent, on_send) {
		this.on_send = on_send;
		const $form = $(frappe.render_template("playground_composer", {})).appendTo($parent);
		this.text = frappe.ui.form.make_control({
			parent: $form.find(".playground-input"),
			df: { fieldtype: "Data", fieldname: "playground_text" },
			only_input: true, // no label row above it: the input lines up with the button
			render_input: true,
		});
		this.$send = $form.find(".playground-send");
		this.text.$input.on("keydown", (event) => {
			if (event.key === "Enter") this.submit();
		});
		this.$send.on("click", () => this.submit());
		this.set_enabled(false);
	}

	set_enabled(enabled) {
		this.text.$input
			.prop("disabled", !enabled)
			.attr(
				"placeholder",
				enabled ? __("Write as the contact…") : __("Pick a contact or a user above first")
			);
		this.$send.prop("disabled", !enabled);
	}

	submit() {
		const text = (this.text.get_value() || "").trim();
		if (!text) return;
		this.text.set_value("");
		this.on_send(text);
	}
};
