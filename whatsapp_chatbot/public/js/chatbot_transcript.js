// The Chatbot Conversation form's transcript: the chat as WhatsApp showed it, with each command as
// a card, rendered from the "chatbot_transcript" template (chatbot_conversation/chatbot_transcript.html)
// with data from whatsapp_chatbot.api.desk.transcript.
//
// Live: the server publishes "whatsapp_chatbot_transcript" to the conversation's document room
// (which the open form is subscribed to) when a message is stored or changes status, or a command
// changes status; the transcript is then fetched again. Long-command progress arrives as
// "whatsapp_chatbot_progress" in the same room and moves the card's bar in place.
// chatbot_conversation.js includes this file (Frappe include), so the form script stays small.

frappe.provide("whatsapp_chatbot");

whatsapp_chatbot.Transcript = class Transcript {
	constructor(frm) {
		this.frm = frm;
		this.timer = null;
		frappe.realtime.on("whatsapp_chatbot_transcript", (data) => {
			if (this.is_mine(data)) this.schedule();
		});
		frappe.realtime.on("whatsapp_chatbot_progress", (data) => {
			if (this.is_mine(data)) this.move(data);
		});
	}

	is_mine(data) {
		return data && this.frm.doc && data.conversation === this.frm.doc.name;
	}

	get wrapper() {
		return $(this.frm.fields_dict.transcript.wrapper);
	}

	schedule() {
		// several rows change in one commit: fetch once
		clearTimeout(this.timer);
		this.timer = setTimeout(() => this.load(), 250);
	}

	load() {
		const name = this.frm.doc.name;
		if (!name || this.frm.is_new()) return Promise.resolve();
		return frappe
			.xcall("whatsapp_chatbot.api.desk.transcript", { conversation: name })
			.then((data) => {
				if (this.frm.doc.name !== name) return;
				this.render(data);
				this.show_count(data.message_count);
			});
	}

	render(data) {
		const scroller = this.wrapper.find(".chatbot-transcript");
		const at_bottom =
			!scroller.length ||
			scroller[0].scrollHeight - scroller[0].scrollTop - scroller[0].clientHeight < 60;
		this.wrapper.html(
			frappe.render_template("chatbot_transcript", {
				data: data,
				esc: (value) => frappe.utils.escape_html(value == null ? "" : String(value)),
				lines: (value) =>
					frappe.utils.escape_html(value == null ? "" : String(value)).replace(/\n/g, "<br>"),
				// a message's text: escaped, with WhatsApp's formatting drawn (whatsapp_format.js)
				formatted: (value) => whatsapp_chatbot.whatsapp_format.to_html(value),
				// today's messages show the time only (HH:mm, the site's time as stored), as a chat does
				when: (value) => {
					if (!value) return "";
					const text = String(value);
					return text.slice(0, 10) === frappe.datetime.now_date()
						? text.slice(11, 16)
						: frappe.datetime.str_to_user(text);
				},
				route: (doctype, name) =>
					`/app/${frappe.router.slug(doctype)}/${encodeURIComponent(name)}`,
			})
		);
		const fresh = this.wrapper.find(".chatbot-transcript")[0];
		if (fresh && at_bottom) fresh.scrollTop = fresh.scrollHeight;
	}

	show_count(count) {
		// the counter follows each stored message in the database; the open form shows it without
		// a reload (a read-only field: the form stays unchanged)
		if (count == null || this.frm.doc.message_count === count) return;
		this.frm.doc.message_count = count;
		this.frm.refresh_field("message_count");
	}

	move(data) {
		const card = this.wrapper.find(`[data-command="${CSS.escape(data.name)}"]`);
		if (!card.length || !["Queued", "Running"].includes(data.status)) {
			this.schedule(); // a new card, or a finished command: show its final state
			return;
		}
		const percent = Math.round(flt(data.progress));
		card.find(".progress-bar").css("width", `${percent}%`).attr("aria-valuenow", percent);
		card.find(".chatbot-progress-percent").text(`${percent}%`);
		card.find(".chatbot-progress-note").text(data.note || "");
	}
};

whatsapp_chatbot.transcript_for = function (frm) {
	if (!frm.chatbot_transcript) frm.chatbot_transcript = new whatsapp_chatbot.Transcript(frm);
	return frm.chatbot_transcript;
};
