// The conversation: the manager's messages on the right, the bot's on the left, buttons as
// buttons and files as downloads. Before anyone is picked, and while the chat is empty, it says
// what to do next.
whatsapp_chatbot.playground.Chat = class Chat {
	constructor($parent, on_choice) {
		this.on_choice = on_choice;
		this.$wrapper = $(frappe.render_template("playground_layout", {})).appendTo($parent);
		this.$messages = this.$wrapper.find(".playground-messages");
		this.$notice = this.$wrapper.find(".playground-notice");
		this.$footer = this.$wrapper.find(".playground-footer");
		this.$messages.on("click", ".playground-choice", (event) => {
			const $button = $(event.currentTarget);
			this.on_choice($button.data("choice-id"), $button.text());
		});
		this.empty(
			__("Pick who to chat as"),
			__(
				"Choose a Chatbot Contact or a User in the fields above, then write as them below: the bot answers here as it would on WhatsApp, and nothing is sent to WhatsApp."
			)
		);
	}

	empty(title, hint) {
		this.$messages.html(frappe.render_template("playground_empty", { title, hint }));
	}

	reset(title, refusal, history) {
		this.$messages.empty();
		this.seen = new Set();
		this.$notice
			.toggleClass("hide", !refusal)
			.text(refusal ? __("{0}: {1}", [title, refusal]) : "");
		if (!history.length) {
			this.empty(
				__("No messages yet"),
				__("Write below as {0}; the bot's answers appear here.", [title])
			);
		}
		history.forEach((message) => this.add(message));
	}

	add(message) {
		if (message.message && this.seen.has(message.message)) return; // realtime may repeat
		if (message.message) this.seen.add(message.message);
		this.$messages.find(".playground-empty").remove();
		$(frappe.render_template("playground_message", { message })).appendTo(this.$messages);
		this.$messages.scrollTop(this.$messages.prop("scrollHeight"));
	}
};
