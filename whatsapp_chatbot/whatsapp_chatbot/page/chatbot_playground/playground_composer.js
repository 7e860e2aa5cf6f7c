// Where the manager types.
whatsapp_chatbot.playground.Composer = class Composer {
	constructor($parent, on_send) {
		this.on_send = on_send;
		const $form = $(frappe.render_template("playground_composer", {})).appendTo($parent);
		this.text = frappe.ui.form.make_control({
			parent: $form.find(".playground-input"),
			df: { fieldtype: "Data", fieldname: "playground_text", placeholder: __("Write as the contact…") },
			render_input: true,
		});
		this.text.$input.on("keydown", (event) => {
			if (event.key === "Enter") this.submit();
		});
		$form.find(".playground-send").on("click", () => this.submit());
		this.set_enabled(false);
	}

	set_enabled(enabled) {
		this.text.$input.prop("disabled", !enabled);
	}

	submit() {
		const text = (this.text.get_value() || "").trim();
		if (!text) return;
		this.text.set_value("");
		this.on_send(text);
	}
};
