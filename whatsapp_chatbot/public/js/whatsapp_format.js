// WhatsApp's text formatting as the Desk shows it, in one place: the Playground's bubbles and a
// conversation's transcript show *bold*, _italic_, ~strikethrough~, ```monospace``` and `code`
// drawn as WhatsApp draws them, not as raw markers.
//
// The text is third-party (the sender's, the model's): it is read as text and never as markup.
// The markers are found in the raw text, then every piece of it is escaped
// (frappe.utils.escape_html, as the rest of the Desk code does) and the only markup in the result
// is the fixed tags added here (<b>, <i>, <s>, <code>, <br>). Escaping first and matching markers
// in the escaped text would work for * _ ~ but not for the backtick, which the escaping rewrites.
//
// WhatsApp's rules, as followed here:
// - a marker opens at the start of the text or after a character that is neither a letter nor a
//   digit, and the character after it is not a space: "2*3*4" and "snake_case_name" stay as they are;
// - it closes at the first same marker after a non-space character, followed by the end of the text
//   or a character that is neither a letter nor a digit; only ```…``` crosses a line;
// - a doubled marker neither opens nor closes: "__init__" and "**" stay as they are;
// - styles nest (*_both_*); nothing inside ```…``` or `…` is formatted (they are code).
// The Playground page and the Chatbot Conversation form include this file (Frappe include).

frappe.provide("whatsapp_chatbot.whatsapp_format");

(() => {
	const STYLES = { "*": "b", _: "i", "~": "s" };
	const CODE = "`";
	const BLOCK = "```";
	const WORD = /[\p{L}\p{N}]/u;
	const SPACE = /\s/u;

	const escape = (text) => frappe.utils.escape_html(text);
	const is_word = (char) => char !== undefined && WORD.test(char);
	const is_space = (char) => char === undefined || SPACE.test(char);

	// ```monospace``` blocks first: their content is shown as typed
	function blocks(text) {
		let html = "";
		let from = 0;
		let search = 0;
		while (search < text.length) {
			const open = text.indexOf(BLOCK, search);
			if (open < 0) break;
			const close = text.indexOf(BLOCK, open + BLOCK.length);
			if (close < 0) break;
			const inside = text.slice(open + BLOCK.length, close);
			if (!inside.trim()) {
				search = open + 1; // "``````" or only spaces: not a block
				continue;
			}
			html += inline(text.slice(from, open)) + `<code>${escape(inside)}</code>`;
			from = search = close + BLOCK.length;
		}
		return html + inline(text.slice(from));
	}

	function opens(text, at) {
		const marker = text[at];
		const next = text[at + 1];
		const previous = text[at - 1];
		return !is_word(previous) && previous !== marker && !is_space(next) && next !== marker;
	}

	// where the marker opened at `at` closes, or -1
	function closing(text, at) {
		const marker = text[at];
		for (let index = at + 2; index < text.length; index++) {
			const char = text[index];
			if (char === "\n") return -1;
			if (char !== marker) continue;
			const before = text[index - 1];
			const after = text[index + 1];
			if (!is_space(before) && before !== marker && !is_word(after) && after !== marker)
				return index;
		}
		return -1;
	}

	function inline(text) {
		let html = "";
		let plain = 0;
		for (let at = 0; at < text.length; at++) {
			const marker = text[at];
			if (marker !== CODE && !STYLES[marker]) continue;
			if (!opens(text, at)) continue;
			const end = closing(text, at);
			if (end < 0) continue;
			const inside = text.slice(at + 1, end);
			html += escape(text.slice(plain, at));
			html +=
				marker === CODE
					? `<code>${escape(inside)}</code>`
					: `<${STYLES[marker]}>${inline(inside)}</${STYLES[marker]}>`;
			plain = end + 1;
			at = end;
		}
		return html + escape(text.slice(plain));
	}

	/** The text as HTML: escaped, WhatsApp's markers drawn, line breaks as <br>. */
	whatsapp_chatbot.whatsapp_format.to_html = (text) => {
		const value = text == null ? "" : String(text);
		// the escaping leaves no newline of its own and the tags hold none: every \n is the text's
		return blocks(value).replace(/\r?\n/g, "<br>");
	};
})();
