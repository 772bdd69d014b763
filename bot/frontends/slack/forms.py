"""A follow-up with a form (`Choice.form`: the Edit of /nugget review) as a Slack modal:
the button (``confbot_form_N``) opens it with views.open, prefilled; submitting it
(`view_submission`, callback_id ``confbot_form``) replays the invocation with what was typed.

The modal asks for each of the command's named parameters, labelled with its help, within
its length limit; `private_metadata` carries the invocation and the channel to answer in.
"""

from __future__ import annotations

import json
from typing import Any

from bot.commands.invocation import Invocation, decode, encode
from bot.commands.table import COMMANDS

FORM_CALLBACK = "confbot_form"
TITLE_MAX = 24
LABEL_MAX = 2000
METADATA_MAX = 3000
LONG_INPUT = 200  # longer inputs get several lines
VALUE = "value"


def form_view(invocation: Invocation, channel_id: str) -> dict[str, Any] | None:
    """The modal of `invocation` (None when its command takes no named parameter or the
    invocation does not fit in the view's metadata)."""
    command = COMMANDS.get(invocation.command)
    if command is None or not command.flags:
        return None
    metadata = json.dumps({"invocation": encode(invocation), "channel": channel_id})
    if len(metadata) > METADATA_MAX:
        return None
    number = invocation.get("id")
    title = f"Edit #{number}" if number else command.short_name.capitalize()
    blocks = []
    for param in command.flags:
        limit = param.type.max_length
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": VALUE,
            "max_length": limit,
            "multiline": limit > LONG_INPUT,
        }
        value = invocation.get(param.name)
        if value:
            element["initial_value"] = value[:limit]
        blocks.append(
            {
                "type": "input",
                "block_id": param.name,
                "optional": True,
                "label": {"type": "plain_text", "text": param.help[:LABEL_MAX]},
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": {"type": "plain_text", "text": title[:TITLE_MAX]},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": metadata,
        "blocks": blocks,
    }


def submitted(view: dict[str, Any]) -> tuple[Invocation, str] | None:
    """The invocation a submitted modal replays, with the typed values (an emptied field
    keeps the value it had), and the channel to answer in; None for a view not ours."""
    try:
        metadata = json.loads(str(view.get("private_metadata", "")))
    except ValueError:
        return None
    invocation = decode(str(metadata.get("invocation", "")))
    if invocation is None:
        return None
    values = {}
    for name, inputs in ((view.get("state") or {}).get("values") or {}).items():
        typed = str((inputs.get(VALUE) or {}).get("value") or "").strip()
        if typed:
            values[name] = typed
    return invocation.with_args(**values), str(metadata.get("channel", ""))
