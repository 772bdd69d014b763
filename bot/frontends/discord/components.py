"""Buttons and select menus for an `Answer`: what each replays, and the items that answer a click.

Buttons and select menus carry the `Invocation` they replay in their custom_id, so they keep
working after a restart: ``cf:r:<invocation>`` (the answer replaces the message: a search page)
or ``cf:a:<invocation>`` (a new message: "Another one"), the invocation encoded by
`bot.commands.invocation.pack`, or ``#`` and a token of the short-lived in-memory `Stash` when
it does not fit in 100 characters (such a button expires with the stash or a restart). The
select menu of a choice list is ``cf:pick:e`` (the pick replaces the message: the ambiguity
flow) or ``cf:pick:n`` (the pick is a new message: search hits, a speaker's talks), and each
option's value is a packed invocation. Buttons made before invocations (``cf:q2:data``) still
work: `legacy` reads them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import discord

from bot.answer import Answer, Choice
from bot.commands.invocation import Invocation, Stash, Unpacked, pack, unpack
from bot.commands.table import COMMANDS
from bot.frontends.discord.embeds import (
    BUTTON_LABEL_MAX,
    BUTTONS_PER_ROW,
    CUSTOM_ID_MAX,
    ELLIPSIS,
    SELECT_OPTIONS_MAX,
    SELECT_PLACEHOLDER_MAX,
    SELECT_TEXT_MAX,
    answer_embed,
    fit,
    plain,
    valid_url,
)
from bot.frontends.discord.forms import FORM_TEMPLATE, FormHandler, FormModal, form_custom_id

ASK_TEMPLATE = re.compile(r"cf:(?P<mode>[ra]):(?P<payload>.*)", re.DOTALL)
PICK_TEMPLATE = re.compile(r"cf:pick:(?P<mode>[en])")
REPLACE, ANEW = "r", "a"
# Before invocations: cf:<code><page><sep><query>, and option values <code><sep><query>.
LEGACY_CODES = {"t": ("talk", "query"), "s": ("speaker", "query"), "n": ("nugget", "query")}
LEGACY_CODES["q"] = ("search", "text")
LEGACY_TEMPLATE = re.compile(r"cf:(?P<code>[tsnq])(?P<page>\d{0,4})(?P<sep>[:#])(?P<ref>.*)", re.S)
_LEGACY_VALUE = re.compile(r"(?P<code>[tsnq])(?P<sep>[:#])(?P<ref>.*)", re.DOTALL)
QueryStash = Stash  # the name tests and older callers know
BUTTON_TEMPLATE = re.compile(r"cf:(?:[ra]:|[tsnq]\d{0,4}[:#]).*", re.DOTALL)


# --------------------------------------------------------------------------------------------
# The custom_id scheme


def ask_custom_id(invocation: Invocation, stash: Stash, *, replace: bool = False) -> str:
    """The custom_id of a button that replays `invocation` (replacing its message or not)."""
    prefix = f"cf:{REPLACE if replace else ANEW}:"
    return pack(invocation, stash, CUSTOM_ID_MAX, prefix)


def option_value(invocation: Invocation, stash: Stash) -> str:
    return pack(invocation, stash, SELECT_TEXT_MAX)


def parse_custom_id(custom_id: str, stash: Stash) -> Unpacked | None:
    """What a button custom_id replays (its invocation None when expired); None if not ours."""
    match = ASK_TEMPLATE.fullmatch(custom_id)
    if match is not None:
        return unpack(match["payload"], stash)
    old = LEGACY_TEMPLATE.fullmatch(custom_id)
    return None if old is None else legacy(old, stash, old["page"])


def parse_option_value(value: str, stash: Stash) -> Unpacked | None:
    found = unpack(value, stash)
    if found is not None:
        return found
    old = _LEGACY_VALUE.fullmatch(value)
    return None if old is None else legacy(old, stash)


def legacy(match: re.Match[str], stash: Stash, page: str = "") -> Unpacked:
    """A button or option made before invocations: a command code and its query."""
    command, name = LEGACY_CODES[match["code"]]
    query = match["ref"] if match["sep"] == ":" else stash.get(match["ref"])
    if query is None:
        return Unpacked(None)
    return Unpacked(Invocation.of(command, page=page or None, **{name: query}))


# --------------------------------------------------------------------------------------------
# Components


@runtime_checkable
class ComponentHandler(Protocol):
    """What the bot implements to answer a click on one of our buttons or select menus."""

    stash: Stash

    async def handle_component(
        self, interaction: discord.Interaction[Any], found: Unpacked | None, *, edit: bool
    ) -> None: ...


async def _dispatch(
    interaction: discord.Interaction[Any],
    resolve: Callable[[Stash], Unpacked | None],
    edit: bool,
) -> None:
    client = interaction.client
    if isinstance(client, ComponentHandler):
        await client.handle_component(interaction, resolve(client.stash), edit=edit)


class AskButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=BUTTON_TEMPLATE
):
    """A button that asks the core again: an action ("another one") or a search page.

    Page buttons replace the message they are on; action buttons answer with a new message.
    """

    def __init__(
        self,
        custom_id: str,
        label: str,
        *,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        disabled: bool = False,
        row: int | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=fit(label, BUTTON_LABEL_MAX) or ELLIPSIS,
                custom_id=custom_id,
                style=style,
                disabled=disabled,
            ),
            row=row,
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AskButton:
        label = getattr(item, "label", None) or ELLIPSIS
        return cls(match.group(0), label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        custom_id = str(self.item.custom_id)
        match = ASK_TEMPLATE.fullmatch(custom_id)
        old = LEGACY_TEMPLATE.fullmatch(custom_id)
        replace = match["mode"] == REPLACE if match else bool(old and old["page"])

        def resolve(stash: Stash) -> Unpacked | None:
            return parse_custom_id(custom_id, stash)

        await _dispatch(interaction, resolve, edit=replace)


class FormButton(AskButton, template=FORM_TEMPLATE):
    """A button that opens the form (a modal, `forms.FormModal`) of its invocation."""

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        match = FORM_TEMPLATE.fullmatch(str(self.item.custom_id))
        if not isinstance(client, FormHandler) or match is None:
            return
        found = unpack(match["payload"], client.stash)
        if found is None or found.invocation is None:
            await interaction.response.send_message(
                "That button has expired; run the command again.", ephemeral=True
            )
            return
        await interaction.response.send_modal(FormModal(found.invocation))


class PickSelect(
    discord.ui.DynamicItem[discord.ui.Select[discord.ui.View]], template=PICK_TEMPLATE
):
    """The select menu of a list of choices; each option's value is the question it asks."""

    def __init__(
        self,
        mode: str,
        options: Sequence[discord.SelectOption],
        placeholder: str = "Pick one…",
        row: int | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"cf:pick:{mode}",
                placeholder=fit(placeholder, SELECT_PLACEHOLDER_MAX),
                options=list(options)[:SELECT_OPTIONS_MAX],
                min_values=1,
                max_values=1,
            ),
            row=row,
        )
        self.mode = mode

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PickSelect:
        options = list(getattr(item, "options", None) or [discord.SelectOption(label="?")])
        return cls(match["mode"], options)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        values = list(self.item.values)

        def resolve(stash: Stash) -> Unpacked | None:
            return parse_option_value(values[0], stash) if values else None

        await _dispatch(interaction, resolve, edit=self.mode == "e")


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (AskButton, PickSelect, FormButton)
"""Register with `bot.add_dynamic_items(*DYNAMIC_ITEMS)` so clicks work across restarts."""


def _option(choice: Choice, stash: Stash) -> discord.SelectOption | None:
    invocation = COMMANDS.replay(choice)
    if invocation is None:
        return None
    label = fit(plain(choice.label), SELECT_TEXT_MAX) or ELLIPSIS
    description = fit(plain(choice.description), SELECT_TEXT_MAX) or None
    return discord.SelectOption(
        label=label,
        value=option_value(invocation, stash),
        description=description,
    )


def _placeholder(answer: Answer) -> str:
    commands = {c.command for c in answer.choices}
    if commands == {"talk"}:
        return "Pick a talk…" if answer.kind in ("choices", "not_found") else "Open a talk…"
    if commands == {"speaker"}:
        return "Pick a speaker…"
    return "Pick one…"


def answer_view(answer: Answer, stash: Stash) -> discord.ui.View | None:
    """Components for the answer (None when it needs none): choices as a select menu, actions
    as buttons, search pages as Previous/Next, and a link button when the talk has a page.

    The view is stopped before it is returned: discord.py then keeps no state for it, and
    clicks reach the registered dynamic items (`DYNAMIC_ITEMS`) instead.
    """
    url = valid_url(answer.url)
    replayed = answer.invocation
    paged = answer.kind == "search" and answer.pages > 1 and replayed is not None
    if not (answer.choices or answer.actions or url or paged):
        return None
    view = discord.ui.View(timeout=None)
    used: set[str] = set()
    options: list[discord.SelectOption] = []
    for choice in answer.choices:
        option = _option(choice, stash)
        if option is not None and option.value not in used:
            used.add(option.value)
            options.append(option)
        if len(options) == SELECT_OPTIONS_MAX:
            break
    row = 0
    if options:
        mode = "e" if answer.kind in ("choices", "not_found") else "n"
        view.add_item(PickSelect(mode, options, _placeholder(answer), row=row))
        row += 1
    used_ids: set[str] = set()
    buttons: list[discord.ui.Item[Any]] = []
    for action in answer.actions:
        form_id = form_custom_id(action, stash)
        if form_id is not None:
            buttons.append(FormButton(form_id, plain(action.label)))
            continue
        invocation = COMMANDS.replay(action)
        if invocation is None:
            continue
        custom_id = ask_custom_id(invocation, stash)
        if custom_id in used_ids:
            continue
        used_ids.add(custom_id)
        buttons.append(AskButton(custom_id, plain(action.label), style=discord.ButtonStyle.primary))
    if url is not None:
        buttons.append(
            discord.ui.Button(label="Talk page", url=url, style=discord.ButtonStyle.link)
        )
    for item in buttons[:BUTTONS_PER_ROW]:
        item.row = row
        view.add_item(item)
    if buttons:
        row += 1
    if paged and replayed is not None:
        previous_page, next_page = answer.page - 1, answer.page + 1
        view.add_item(
            AskButton(
                ask_custom_id(replayed.with_args(page=previous_page), stash, replace=True),
                "◀ Previous",
                disabled=previous_page < 1,
                row=row,
            )
        )
        view.add_item(
            AskButton(
                ask_custom_id(replayed.with_args(page=next_page), stash, replace=True),
                "Next ▶",
                disabled=next_page > answer.pages,
                row=row,
            )
        )
    if not view.children:
        return None
    view.stop()
    return view


@dataclass(frozen=True)
class Rendered:
    """An answer ready to send: its embed, its components (or None) and whether only the
    asker should see it. `payloads` keeps the callback bodies built from it (`callback.py`)."""

    embed: discord.Embed
    view: discord.ui.View | None
    ephemeral: bool
    payloads: dict[tuple[int, bool], dict[str, Any]] = field(
        default_factory=dict, compare=False, repr=False
    )


def render(answer: Answer, stash: Stash) -> Rendered:
    return Rendered(answer_embed(answer), answer_view(answer, stash), answer.ephemeral)


class Renderer:
    """`render` that keeps the last `size` answers' embeds and views: an answer the core hands
    out again (bot/commands/answer_cache.py) is rendered once (a view is stopped, so discord.py
    changes nothing in it). An answer whose components went to the stash is rendered afresh
    each time: its token would expire while the render was kept."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._kept: dict[int, tuple[Answer, Rendered]] = {}  # the answer keeps its id unique

    def __call__(self, answer: Answer, stash: Stash) -> Rendered:
        kept = self._kept.get(id(answer))
        if kept is not None and kept[0] is answer:
            return kept[1]
        stashed = stash.puts
        rendered = render(answer, stash)
        if stash.puts == stashed:
            if len(self._kept) >= self.size:
                self._kept.clear()
            self._kept[id(answer)] = (answer, rendered)
        return rendered
