// The conversation: the manager's messages on the right, the bot's on the left, buttons as
// buttons and files as downloads.
whatsapp_chatbot.playground.Chat = class Chat {
	constructor($parent, on_choice) {
		this.on_choice = on_choice;
		this.$wrapper = $(frappe.render_template("playground_layout", {})).appendTo($parent);
		this.$messages = this.$wrapper.find(".playground-messages");
		this.$notice = this.$wrapper.find(".playground-notice");
		this.$messages.on("click", ".playground-choice", (event) => {
			const $button = $(event.currentTarget);
			this.on_choice($button.data("choice-id"), $button.text());
		});
	}

	reset(title, refusal, history) {
		this.$messages.empty();
		this.seen = new Set();
		this.$notice
			.toggleClass("hide", !refusal)
			.text(refusal ? __("{0}: {1}", [title, refusal]) : "");
		history.forEach((message) => this.add(message));
	}

	add(message) {
		if (message.message && this.seen.has(message.message)) return; // realtime may repeat
		if (message.message) this.seen.add(message.message);
		$(frappe.render_template("playground_message", { message })).appendTo(this.$messages);
		this.$messages.scrollTop(this.$messages.prop("scrollHeight"));
	}
};
