"""Render a core `Answer` as a Slack message: Block Kit blocks plus a fallback `text`.

Pure functions, no Slack SDK: the same Answer values the Discord embeds and the console come
from become header / section / fields / context / actions blocks here.

Safety and limits
-----------------
* Every piece of data or user text is escaped (``&``, ``<``, ``>`` become entities) before it
  goes into any text object, and mrkdwn objects are sent with ``verbatim: true`` so Slack does
  not auto-link channel names or parse mentions either. A talk title, a nugget or a query
  containing ``<!everyone>``, ``<!channel>`` or ``<@U123>`` therefore shows as that literal
  text and never pings anyone.
* Everything is cut to Slack's documented limits with an ellipsis: header 150, section text
  3,000, field 2,000, 10 fields per section, 25 buttons per actions block, button label 75,
  button value 2,000, 50 blocks per message. Cuts never split an HTML entity.

Buttons
-------
Every button's ``value`` is the `Invocation` it replays, encoded
(``search?conference=normconf-2022&page=2&text=data``), so a click replays it with every
argument (`parse_button_value`). Every parameter has a length cap, so an encoded invocation
fits in 2,000 characters; one that does not is kept in the front end's `Stash` and the value
is ``#`` and its token (without a stash such a button is left out). Values made before
invocations (``"search:2|crontab"``) are still read. The ``action_id`` says what a click does:
``confbot_pick_N`` (a choice of an ambiguous or "did you mean" answer: the answer replaces the
question), ``confbot_open_N`` (a follow-up such as a talk from a speaker's list: a new
message), ``confbot_action_N`` (a follow-up action such as "Another one": a new message),
``confbot_form_N`` (a follow-up with a form: a modal, bot/frontends/slack/forms.py) and
``confbot_page_prev`` / ``confbot_page_next`` (search pages: the page replaces the old one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from bot.answer import (
    Answer,
    Choice,
    Field,
    Moment,
    render_highlights,
    render_moments,
    strip_highlights,
)
from bot.commands.invocation import STASH_MARK, Invocation, Stash, decode, encode, pack
from bot.commands.table import COMMANDS
from bot.text import parse_number

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_HEADER_TEXT = 150
MAX_SECTION_TEXT = 3_000
MAX_FIELD_TEXT = 2_000
MAX_SECTION_FIELDS = 10
MAX_CONTEXT_TEXT = 2_000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2_000
MAX_CHOICE_BUTTONS = 25
MAX_ACTION_BUTTONS = 5
MAX_FALLBACK_TEXT = 3_000
ELLIPSIS = "…"

ACTION_PREFIX = "confbot_"
PICK = ACTION_PREFIX + "pick_"
OPEN = ACTION_PREFIX + "open_"
ACTION = ACTION_PREFIX + "action_"
PAGE_PREV = ACTION_PREFIX + "page_prev"
PAGE_NEXT = ACTION_PREFIX + "page_next"
FORM = ACTION_PREFIX + "form_"
ACTION_ID_PATTERN = re.compile(
    r"^confbot_(pick_\d+|open_\d+|action_\d+|form_\d+|page_prev|page_next)$"
)

# Answers whose choices answer a question ("which one did you mean?"): a click replaces them.
_QUESTION_KINDS = frozenset({"choices", "not_found"})
_PARTIAL_ENTITY = re.compile(r"&[a-z]*$")


# -- text ----------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape Slack's three control characters so text is shown literally, never parsed as a
    mention (``<!everyone>``, ``<@U123>``), a channel link or a URL."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """`text` (already escaped) cut to at most `limit` characters, ending in an ellipsis when
    cut; an entity such as ``&amp;`` is never split."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - len(ELLIPSIS), 0)]
    cut = _PARTIAL_ENTITY.sub("", cut)
    return cut.rstrip() + ELLIPSIS


def rich(text: str) -> str:
    """Escaped mrkdwn for data text; search highlights become *bold*, moments Slack dates
    (shown in each reader's own zone)."""
    return render_moments(text, _highlighted, date)


def _highlighted(text: str) -> str:
    return render_highlights(text, escape, "*", "*")


_DATE_TOKENS = {"time": "{time}", "datetime": "{date_short_pretty} {time}", "relative": "{ago}"}


def date(moment: Moment) -> str:
    """`<!date^1735292400^{time}|14:00 CET>`: the reader's zone, the conference's as fallback."""
    fallback = escape(moment.fallback()).replace("|", "/")
    return f"<!date^{moment.unix}^{_DATE_TOKENS[moment.style]}|{fallback}>"


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def text_message(line: str) -> dict[str, Any]:
    """A one-line message (refusals, errors, usage) with the line escaped."""
    safe = clip(escape(line), MAX_SECTION_TEXT)
    return {"text": safe, "blocks": [{"type": "section", "text": mrkdwn(safe)}]}


# -- buttons -------------------------------------------------------------------------------


def button_value(invocation: Invocation, stash: Stash | None = None) -> str | None:
    """The invocation as a button value: inline, else a `stash` token; None when it fits
    neither."""
    value = encode(invocation)
    if len(value) <= MAX_BUTTON_VALUE:
        return value
    return pack(invocation, stash, MAX_BUTTON_VALUE) if stash is not None else None


def parse_button_value(value: str, stash: Stash | None = None) -> Invocation | None:
    """The invocation a button replays; None when the value is not ours or has expired."""
    if value.startswith(STASH_MARK):
        found = stash.get(value[len(STASH_MARK) :]) if stash is not None else None
        return decode(found) if found is not None else None
    invocation = decode(value)
    if invocation is not None:
        return invocation
    head, bar, query = value.partition("|")  # before invocations: "search:2|crontab"
    command, _, page = head.partition(":")
    target = COMMANDS.get(command.strip().lower())
    if not bar or target is None or not target.positional:
        return None
    number = parse_number(page, minimum=1, maximum=9999)
    args = {target.positional[0].name: query, "page": str(number) if number else ""}
    return Invocation.from_mapping(target.name, args)


def replaces_original(action_id: str) -> bool:
    """Whether a click's answer replaces the message whose button was clicked."""
    return action_id.startswith(PICK) or action_id in (PAGE_PREV, PAGE_NEXT)


def _button(action_id: str, label: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain(clip(escape(label) or "…", MAX_BUTTON_TEXT)),
        "value": value,
    }
    if style is not None:
        button["style"] = style
    return button


def _actions_blocks(block_id: str, buttons: Sequence[dict[str, Any]]) -> list[Block]:
    return [
        {
            "type": "actions",
            "block_id": f"{block_id}_{n}",
            "elements": list(buttons[start : start + MAX_ACTIONS_ELEMENTS]),
        }
        for n, start in enumerate(range(0, len(buttons), MAX_ACTIONS_ELEMENTS))
    ]


def _follow_up_buttons(
    prefix: str,
    follow_ups: Sequence[Choice],
    limit: int,
    stash: Stash | None,
    primary: bool = False,
) -> list[dict[str, Any]]:
    buttons = []
    for i, choice in enumerate(follow_ups[:limit]):
        invocation = COMMANDS.replay(choice)
        action_id = f"{prefix}{i}"
        if choice.form and invocation is not None:  # opens a modal (bot.frontends.slack.forms)
            invocation, action_id = invocation.with_args(**dict(choice.form)), f"{FORM}{i}"
        value = button_value(invocation, stash) if invocation is not None else None
        if value is not None:
            style = "primary" if primary and i == 0 else None
            buttons.append(_button(action_id, choice.label, value, style))
    return buttons


def _choice_buttons(answer: Answer, stash: Stash | None) -> list[dict[str, Any]]:
    prefix = PICK if answer.kind in _QUESTION_KINDS else OPEN
    return _follow_up_buttons(prefix, answer.choices, MAX_CHOICE_BUTTONS, stash)


def _action_buttons(answer: Answer, stash: Stash | None) -> list[dict[str, Any]]:
    return _follow_up_buttons(ACTION, answer.actions, MAX_ACTION_BUTTONS, stash, primary=True)


def _page_buttons(answer: Answer, stash: Stash | None) -> list[dict[str, Any]]:
    replayed = answer.invocation
    if answer.kind != "search" or answer.pages <= 1 or replayed is None:
        return []
    pages = []
    if answer.page > 1:
        pages.append((PAGE_PREV, "◀ Previous", answer.page - 1))
    if answer.page < answer.pages:
        pages.append((PAGE_NEXT, "Next ▶", answer.page + 1))
    buttons = []
    for action_id, label, page in pages:
        value = button_value(replayed.with_args(page=page), stash)
        if value is not None:
            buttons.append(_button(action_id, label, value))
    return buttons


# -- blocks --------------------------------------------------------------------------------


def _field_text(field: Field, limit: int) -> str:
    return clip(f"*{escape(field.name)}*\n{rich(field.value)}", limit)


def _field_blocks(fields: Iterable[Field]) -> list[Block]:
    """Inline fields side by side (up to 10 per section), others one section each."""
    blocks: list[Block] = []
    row: list[dict[str, Any]] = []

    def flush() -> None:
        if row:
            blocks.append({"type": "section", "fields": list(row)})
            row.clear()

    for field in fields:
        if field.inline:
            row.append(mrkdwn(_field_text(field, MAX_FIELD_TEXT)))
            if len(row) == MAX_SECTION_FIELDS:
                flush()
        else:
            flush()
            blocks.append({"type": "section", "text": mrkdwn(_field_text(field, MAX_SECTION_TEXT))})
    flush()
    return blocks


def _choices_list(choices: Sequence[Choice]) -> Block:
    lines = []
    for choice in choices[:MAX_CHOICE_BUTTONS]:
        detail = f" — {escape(choice.description)}" if choice.description else ""
        lines.append(f"• *{escape(choice.label)}*{detail}")
    return {"type": "section", "text": mrkdwn(clip("\n".join(lines), MAX_SECTION_TEXT))}


def _link(url: str | None) -> str | None:
    """A mrkdwn link for an http(s) URL; None for anything else."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    safe = quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~")
    if len(safe) > MAX_CONTEXT_TEXT - 20:
        return None
    return f"<{escape(safe)}|Open the talk page>"


def _context(answer: Answer) -> Block | None:
    elements: list[dict[str, Any]] = []
    link = _link(answer.url)
    if link:
        elements.append(mrkdwn(link))
    if answer.kind == "search" and answer.pages > 1:
        elements.append(mrkdwn(f"Page {answer.page} of {answer.pages}"))
    if answer.footer:
        elements.append(mrkdwn(clip(rich(answer.footer), MAX_CONTEXT_TEXT)))
    if not elements:
        return None
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def answer_blocks(answer: Answer, stash: Stash | None = None) -> list[Block]:
    """The blocks of `answer`, within every Slack limit (at most 50 blocks)."""
    head: list[Block] = [
        {"type": "header", "text": plain(clip(escape(answer.title) or "confbot", MAX_HEADER_TEXT))}
    ]
    body: list[Block] = []
    if answer.text:
        body.append({"type": "section", "text": mrkdwn(clip(rich(answer.text), MAX_SECTION_TEXT))})
    body += _field_blocks(answer.fields)
    if answer.choices and answer.kind in _QUESTION_KINDS:
        body.append(_choices_list(answer.choices))

    tail: list[Block] = []
    tail += _actions_blocks("confbot_choices", _choice_buttons(answer, stash))
    tail += _actions_blocks("confbot_actions", _action_buttons(answer, stash))
    tail += _actions_blocks("confbot_pages", _page_buttons(answer, stash))
    context = _context(answer)
    if context is not None:
        tail.append(context)

    room = MAX_BLOCKS - len(head) - len(tail)
    if len(body) > room:
        hidden = len(body) - (room - 1)
        body = body[: room - 1]
        body.append(
            {"type": "context", "elements": [mrkdwn(f"{ELLIPSIS} and {hidden} more not shown")]}
        )
    return head + body + tail


def fallback_text(answer: Answer) -> str:
    """The message's top-level ``text``: what notifications and screen readers show."""
    parts = [answer.title]
    if answer.text:
        parts.append(strip_highlights(answer.text))
    return clip(escape("\n".join(parts)), MAX_FALLBACK_TEXT)


def answer_message(answer: Answer, stash: Stash | None = None) -> dict[str, Any]:
    """``{"text": ..., "blocks": [...]}`` for respond() or chat.postMessage; `stash` keeps
    the follow-ups too long for a button value."""
    return {"text": fallback_text(answer), "blocks": answer_blocks(answer, stash)}
