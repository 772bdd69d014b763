"""The interaction callback of an answer, without asking Discord to send the message back.

discord.py 2.7's `InteractionResponse.send_message` and `edit_message` always post the callback
with `?with_response=1` (hard-coded in `AsyncWebhookAdapter.create_interaction_response`):
Discord then answers with the whole message just created, which discord.py parses into a
`Message` (embeds, components, author) for an `InteractionCallbackResponse` that confbot never
reads. `respond` posts the same payload, built once per rendered answer by discord.py's own
`interaction_message_response_params`, through the same webhook adapter (its per-interaction
lock, its retries on 5xx and on a proxied 429, its `Forbidden` / `NotFound` /
`HTTPException`), without that query: Discord answers 204 and nothing is parsed. It then marks
the response done the way discord.py does, so `is_done()`, followups,
`edit_original_response` and the error handler behave as after `send_message`.

Two discord.py internals are used (`async_context` and `InteractionResponse._response_type`);
discord.py is pinned in pyproject.toml, and every end-to-end answer through the fake Discord
(tests/fakes/discord/interactions.py answers 204 without `with_response`, as Discord does)
comes through here. Views are stopped before they are sent (`components.answer_view`), so
discord.py would store none of them: skipping its view bookkeeping changes nothing.
Autocomplete choices go the same way (`respond_choices`), their body kept per list of kept
suggestions (`ChoicePayloads`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord
from discord.enums import InteractionResponseType
from discord.http import Route
from discord.webhook.async_ import async_context, interaction_message_response_params

from bot.answer import Choice
from bot.frontends.discord.components import Rendered
from bot.frontends.discord.embeds import autocomplete_choices

SEND = InteractionResponseType.channel_message
EDIT = InteractionResponseType.message_update
CHOICES = InteractionResponseType.autocomplete_result


def callback_payload(
    rendered: Rendered,
    kind: InteractionResponseType,
    ephemeral: bool,
    mentions: discord.AllowedMentions | None,
) -> dict[str, Any]:
    """The callback body discord.py would send for `rendered` (kept on it: a rendered answer
    the renderer hands out again is not serialised again)."""
    key = (kind.value, ephemeral)
    kept = rendered.payloads.get(key)
    if kept is not None:
        return kept
    flags = discord.MessageFlags(ephemeral=True) if ephemeral else discord.utils.MISSING
    view: Any = rendered.view
    if view is None and kind is SEND:
        view = discord.utils.MISSING  # a new message: no components key at all
    params = interaction_message_response_params(
        type=kind.value,
        embed=rendered.embed,
        view=view,
        flags=flags,
        previous_allowed_mentions=mentions,
    )
    assert params.payload is not None
    rendered.payloads[key] = params.payload
    return params.payload


async def respond(
    interaction: discord.Interaction[Any],
    rendered: Rendered,
    kind: InteractionResponseType,
    *,
    ephemeral: bool = False,
) -> None:
    """Answer `interaction` with `rendered`: a new message (`SEND`) or an edit of the message
    the clicked component is on (`EDIT`). Raises `InteractionResponded` when it was already
    answered, and discord.py's HTTP errors as `send_message` does."""
    payload = callback_payload(rendered, kind, ephemeral, interaction._state.allowed_mentions)
    await _post(interaction, payload, kind)


async def respond_choices(interaction: discord.Interaction[Any], payload: dict[str, Any]) -> None:
    """Answer an autocomplete interaction with a body from `ChoicePayloads`, as
    `InteractionResponse.autocomplete` would (discord.py then sends nothing more)."""
    await _post(interaction, payload, CHOICES)


async def _post(
    interaction: discord.Interaction[Any], payload: dict[str, Any], kind: InteractionResponseType
) -> None:
    response = interaction.response
    if response.is_done():
        raise discord.InteractionResponded(interaction)
    route = Route(
        "POST",
        "/interactions/{webhook_id}/{webhook_token}/callback",
        webhook_id=interaction.id,
        webhook_token=interaction.token,
    )
    http = interaction._state.http
    await async_context.get().request(
        route,
        session=interaction._session,
        proxy=http.proxy,
        proxy_auth=http.proxy_auth,
        payload=payload,
    )
    response._response_type = kind


class ChoicePayloads:
    """The autocomplete callback body of a list of core suggestions, kept for the last `size`
    lists: suggestions the core kept (bot/commands/answer_cache.py) come back as the same
    `Choice` objects, so a list is known again by identity, not by comparing its text."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._kept: dict[tuple[int, int, int], tuple[Sequence[Choice], dict[str, Any]]] = {}

    def __call__(self, choices: Sequence[Choice]) -> dict[str, Any]:
        key = (id(choices[0]), id(choices[-1]), len(choices)) if choices else (0, 0, 0)
        kept = self._kept.get(key)
        if kept is not None and all(a is b for a, b in zip(kept[0], choices, strict=True)):
            return kept[1]
        listed = [choice.to_dict() for choice in autocomplete_choices(choices)]
        payload = {"type": CHOICES.value, "data": {"choices": listed}}
        if len(self._kept) >= self.size:
            self._kept.clear()
        self._kept[key] = (tuple(choices), payload)  # holds the objects: their ids stay theirs
        return payload
