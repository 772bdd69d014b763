"""What every answer must be on each platform: within its limits and pinging no one.

The limits are checked by the fakes' own validators (tests/fakes: what the real APIs reject),
the mentions here: Discord embed markdown places escape @everyone / @here / <@id> (discord.py
inserts a zero-width space), Slack text holds no unescaped ``<!…>``, ``<@…>`` or ``<#…>``.
Every message is also sent with mentions off; these checks do not rely on that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import discord

from bot.answer import Answer, Choice
from bot.commands.invocation import Stash as QueryStash
from bot.frontends.discord.components import render
from bot.frontends.discord.embeds import (
    AUTOCOMPLETE_MAX,
    AUTOCOMPLETE_TEXT_MAX,
    autocomplete_choices,
)
from bot.frontends.slack.blocks import answer_message
from tests.fakes.discord import message_problems
from tests.fakes.slack import validate_message
from tests.frontends.slack.test_blocks import all_texts, mrkdwn_objects

DISCORD_PING = re.compile(r"@(everyone|here)\b|<@[!&]?[0-9]{15,25}>")
SLACK_PING = re.compile(r"<[!@#]")
_LINK = re.compile(r"^<https?://[^|<>]+\|Open the talk page>$")


def discord_problems(answer: Answer, stash: QueryStash) -> list[str]:
    rendered = render(answer, stash)
    payload: dict[str, Any] = {
        "embeds": [rendered.embed.to_dict()],
        "components": [] if rendered.view is None else rendered.view.to_components(),
        "allowed_mentions": discord.AllowedMentions.none().to_dict(),
    }
    problems = [
        f"{'/'.join(map(str, path))}: {code}" for path, code, _ in message_problems(payload)
    ]
    json.dumps(payload, ensure_ascii=False).encode("utf-8")  # sendable: no lone surrogate
    for text in _embed_texts(payload["embeds"][0]):
        if DISCORD_PING.search(text):
            problems.append(f"pings: {text[:80]!r}")
    return problems


def slack_problems(answer: Answer) -> list[str]:
    payload = answer_message(answer)
    problems: list[str] = []
    invalid = validate_message(payload)
    if invalid is not None:
        problems.append(f"{invalid[0]}: {invalid[1][:3]}")
    for text in all_texts(payload):
        if SLACK_PING.search(_LINK.sub("", text)):
            problems.append(f"pings: {text[:80]!r}")
    if any(o.get("verbatim") is not True for o in mrkdwn_objects(payload)):
        problems.append("a mrkdwn object is not verbatim")
    json.dumps(payload, ensure_ascii=False).encode("utf-8")  # sendable: no lone surrogate
    return problems


def autocomplete_problems(choices: Iterable[Choice]) -> list[str]:
    out = autocomplete_choices(choices)
    problems = [f"{len(out)} choices" for _ in [0] if len(out) > AUTOCOMPLETE_MAX]
    for choice in out:
        if not 1 <= len(choice.name) <= AUTOCOMPLETE_TEXT_MAX:
            problems.append(f"name of {len(choice.name)}: {choice.name[:40]!r}")
        if not 1 <= len(choice.value) <= AUTOCOMPLETE_TEXT_MAX:
            problems.append(f"value of {len(choice.value)}: {choice.value[:40]!r}")
        choice.name.encode("utf-8")
        choice.value.encode("utf-8")
    return problems


def _embed_texts(embed: dict[str, Any]) -> list[str]:
    texts = [embed.get("title") or "", embed.get("description") or ""]
    texts += [f["name"] for f in embed.get("fields", [])] + [
        f["value"] for f in embed.get("fields", [])
    ]
    # Not the footer: like select labels it is plain text, where Discord renders no markdown
    # and no mention (and the renderer leaves it unescaped on purpose).
    return texts
