// Copyright (c) 2026, whatsapp_chatbot developers
// For license information, please see license.txt

// Meta's status words, coloured as WhatsApp Manager shows them
const TEMPLATE_COLOURS = {
	APPROVED: "green",
	PENDING: "blue",
	IN_APPEAL: "blue",
	REJECTED: "red",
	PAUSED: "orange",
	DISABLED: "red",
	LIMIT_EXCEEDED: "orange",
	LOCKED: "orange",
	PENDING_DELETION: "gray",
	DELETED: "gray",
	ARCHIVED: "gray",
	"Not Submitted": "gray",
};

frappe.listview_settings["Chatbot Template"] = {
	add_fields: ["status", "flagged", "missing_at_meta"],
	get_indicator(doc) {
		if (doc.missing_at_meta) return [__("Missing at Meta"), "gray", "missing_at_meta,=,1"];
		if (doc.status === "APPROVED" && doc.flagged) return [__("Approved, flagged"), "orange", "flagged,=,1"];
		const status = doc.status || "Not Submitted";
		return [__(status), TEMPLATE_COLOURS[status] || "gray", `status,=,${status}`];
	},
	onload(listview) {
		listview.page.add_inner_button(__("Sync from Meta"), async () => {
			const { message: counts } = await frappe.call({
				method: "whatsapp_chatbot.api.setup.sync_templates",
				freeze: true,
				freeze_message: __("Reading Meta's templates…"),
			});
			frappe.show_alert({
				message: __("{0} templates at Meta: {1} new, {2} updated, {3} no longer listed", [
					counts.total,
					counts.created,
					counts.updated,
					counts.missing,
				]),
				indicator: "green",
			});
			// BaseList.refresh ignores a call with the same arguments within 3 s of the last load:
			// a quick sync would otherwise leave the list as it was
			listview.last_args = null;
			listview.refresh();
		});
	},
};
