"""What the Desk transcript shows for one stored message or command. Pure module: no frappe import.

A message row becomes a bubble: side (incoming left, outgoing right), the text as WhatsApp showed
it, Meta's delivery ticks, the buttons or list it carried (read back from the Graph request body
we stored), the voice transcript, media and files. A command row becomes a card with its status,
progress and a link. The template (chatbot_conversation/chatbot_transcript.html) only lays them out.
"""

from __future__ import annotations

import json

# Meta's delivery ticks for an outgoing message, by our status
TICKS = {
	"Queued": "pending",
	"Sending": "pending",
	"Sent": "sent",
	"Delivered": "delivered",
	"Read": "read",
	"Played": "read",
	"Failed": "failed",
}
# an outgoing message with no tick yet shows its status: Held waits for the 24-hour window
HELD = "Held"
# Frappe indicator colours
COMMAND_COLOURS = {
	"Proposed": "gray",
	"Awaiting Confirmation": "orange",
	"Queued": "blue",
	"Running": "blue",
	"Succeeded": "green",
	"Failed": "red",
	"Cancelled": "gray",
	"Expired": "gray",
}
MESSAGE_COLOURS = {
	"Received": "blue",
	"Processing": "blue",
	"Answered": "green",
	"Ignored": "gray",
	"Failed": "red",
}
ACTIVE_COMMAND = ("Queued", "Running")


def message_bubble(row: dict, files: list[dict] | None = None) -> dict:
	"""`row`: a Chatbot Message as a dict; `files`: its attached Files (file_name, file_url)."""
	outgoing = row.get("direction") == "Outgoing"
	body = _json(row.get("request_body")) if outgoing else {}
	kind = row.get("message_type") or body.get("type") or "text"
	bubble = {
		"kind": "message",
		"name": row.get("name"),
		"side": "right" if outgoing else "left",
		"type": kind,
		"at": row.get("creation"),
		"status": row.get("status"),
		"channel": row.get("channel"),
		"text": row.get("text") or "",
		"buttons": [],
		"list": None,
		"transcript": None,
		"media": None,
		"files": [
			{"name": f.get("file_name"), "url": f.get("file_url"), "image": _is_image(f.get("file_name"))}
			for f in files or []
		],
		"error": None,
		"ticks": TICKS.get(row.get("status")) if outgoing else None,
		"colour": ("orange" if row.get("status") == HELD else None)
		if outgoing
		else MESSAGE_COLOURS.get(row.get("status"), "gray"),
		"pressed": None,
		"location": None,
	}
	if outgoing:
		_outgoing_content(bubble, body)
	else:
		_incoming_content(bubble, row)
	# why it failed, or why it is held and what was done about it
	if row.get("status") in ("Failed", HELD) and (row.get("error_code") or row.get("error_message")):
		bubble["error"] = {"code": row.get("error_code"), "text": row.get("error_message")}
	return bubble


def _outgoing_content(bubble: dict, body: dict) -> None:
	content = body.get(body.get("type")) or {}
	if body.get("type") == "text":
		bubble["text"] = content.get("body", bubble["text"])
	elif body.get("type") == "interactive":
		bubble["text"] = (content.get("body") or {}).get("text", "")
		action = content.get("action") or {}
		bubble["buttons"] = [b["reply"]["title"] for b in action.get("buttons", []) if b.get("reply")]
		if action.get("sections"):
			bubble["list"] = {
				"button": action.get("button"),
				"sections": [
					{
						"title": section.get("title"),
						"rows": [
							{"title": r.get("title"), "description": r.get("description")}
							for r in section.get("rows", [])
						],
					}
					for section in action["sections"]
				],
			}
	elif body.get("type") == "document":
		bubble["text"] = content.get("caption") or ""
		bubble["media"] = {"filename": content.get("filename"), "mime_type": None}
	elif body.get("type") == "image":  # a chart: the picture itself is in `files`
		bubble["text"] = content.get("caption") or ""
	elif body.get("type") == "template":
		bubble["text"] = f"{content.get('name')} ({(content.get('language') or {}).get('code')})"


def _incoming_content(bubble: dict, row: dict) -> None:
	if row.get("is_voice") or row.get("transcript"):
		bubble["transcript"] = row.get("transcript")
		if row.get("transcript") and bubble["text"] == row.get("transcript"):
			bubble["text"] = ""  # the transcript is shown as such, not twice
	if row.get("interactive_id"):
		bubble["pressed"] = bubble["text"] or row.get("interactive_id")
		bubble["text"] = ""
	if row.get("media_id") or row.get("media_filename"):
		bubble["media"] = {
			"filename": row.get("media_filename"),
			"mime_type": row.get("media_mime_type"),
			"voice": bool(row.get("is_voice")),
		}
	if row.get("latitude") or row.get("longitude"):
		bubble["location"] = {"latitude": row.get("latitude"), "longitude": row.get("longitude")}


def command_card(row: dict) -> dict:
	"""`row`: a Chatbot Command as a dict."""
	status = row.get("status")
	return {
		"kind": "command",
		"name": row.get("name"),
		"command": row.get("command"),
		"type": row.get("kind"),
		"at": row.get("creation"),
		"status": status,
		"colour": COMMAND_COLOURS.get(status, "gray"),
		"active": status in ACTIVE_COMMAND,
		"progress": float(row.get("progress") or 0),
		"note": row.get("progress_note") or "",
		"summary": _first_line(
			row.get("error") if status == "Failed" else row.get("result") or row.get("preview")
		),
		"attachment": row.get("attachment"),
		"run_as": row.get("run_as"),
		"message": row.get("message"),
	}


def ordered(bubbles: list[dict], cards: list[dict]) -> list[dict]:
	"""One timeline, oldest first; a command comes right after the message that asked for it."""
	placed: dict[str, list[dict]] = {}
	loose = []
	names = {b["name"] for b in bubbles}
	for card in sorted(cards, key=lambda c: str(c["at"])):
		(placed.setdefault(card["message"], []) if card.get("message") in names else loose).append(card)
	timeline = []
	for bubble in sorted([*bubbles, *loose], key=lambda b: str(b["at"])):
		timeline.append(bubble)
		timeline.extend(placed.get(bubble["name"], []))
	return timeline


def _first_line(text: str | None, limit: int = 200) -> str:
	line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
	return line if len(line) <= limit else line[: limit - 1] + "…"


def _is_image(filename: str | None) -> bool:
	return bool(filename) and filename.lower().rsplit(".", 1)[-1] in ("png", "jpg", "jpeg", "gif", "webp")


def _json(value) -> dict:
	if isinstance(value, dict):
		return value
	try:
		parsed = json.loads(value or "{}")
	except (TypeError, ValueError):
		return {}
	return parsed if isinstance(parsed, dict) else {}
