"""A follow-up with a form (`Choice.form`: the Edit of /nugget review) as a Discord modal,
prefilled, that replays its invocation with what was typed (the button that opens it is
`components.FormButton`).

The button's custom_id is ``cf:f:`` and the packed invocation with the form's current values
(a stash token when it does not fit); the modal asks for each of the command's named
parameters, prefilled with the value carried, labelled with its help, within its length
limit.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, runtime_checkable

import discord

from bot.answer import Choice
from bot.commands.invocation import Invocation, Stash, pack
from bot.commands.params import Param
from bot.commands.table import COMMANDS
from bot.frontends.discord.embeds import CUSTOM_ID_MAX, fit
from bot.frontends.discord.errors import ComponentFailed

FORM_TEMPLATE = re.compile(r"cf:f:(?P<payload>.*)", re.DOTALL)
MODAL_TITLE_MAX = 45
INPUT_LABEL_MAX = 45
INPUT_VALUE_MAX = 4000
LONG_INPUT = 200  # longer inputs get a paragraph box
FORM_SECONDS = 15 * 60.0


def form_custom_id(action: Choice, stash: Stash) -> str | None:
    """The custom_id of the button of a follow-up with a form (None without one)."""
    if action.invocation is None or not action.form:
        return None
    carried = action.invocation.with_args(**dict(action.form))
    return pack(carried, stash, CUSTOM_ID_MAX, "cf:f:")


def form_fields(invocation: Invocation) -> list[tuple[Param, str]]:
    """The command's named parameters, each with the value the invocation carries."""
    command = COMMANDS.get(invocation.command)
    if command is None:
        return []
    return [(p, invocation.get(p.name)) for p in command.flags]


@runtime_checkable
class FormHandler(Protocol):
    """What the bot implements to answer a submitted form."""

    stash: Stash

    async def submit_form(
        self, interaction: discord.Interaction[Any], invocation: Invocation
    ) -> None: ...


class FormModal(discord.ui.Modal):
    """The form itself: one text input per field, prefilled; submitting replays the
    invocation with the values typed (an emptied field leaves that value as it was)."""

    def __init__(self, invocation: Invocation) -> None:
        number = invocation.get("id")
        title = f"/{invocation.command}" + (f" #{number}" if number else "")
        super().__init__(title=fit(title, MODAL_TITLE_MAX), timeout=FORM_SECONDS)
        self.invocation = invocation
        self.inputs: dict[str, discord.ui.TextInput[FormModal]] = {}
        for param, value in form_fields(invocation)[:5]:
            limit = min(param.type.max_length, INPUT_VALUE_MAX)
            text_input: discord.ui.TextInput[FormModal] = discord.ui.TextInput(
                label=fit(param.help, INPUT_LABEL_MAX) or param.name,
                default=value[:limit] or None,
                required=False,
                max_length=limit,
                style=discord.TextStyle.paragraph
                if limit > LONG_INPUT
                else discord.TextStyle.short,
                custom_id=param.name,
            )
            self.inputs[param.name] = text_input
            self.add_item(text_input)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        typed = {name: box.value.strip() for name, box in self.inputs.items()}
        values = {name: value for name, value in typed.items() if value}
        client = interaction.client
        if isinstance(client, FormHandler):
            await client.submit_form(interaction, self.invocation.with_args(**values))

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: Any = None, /
    ) -> None:
        """The bot's one error handler answers it (logged, one short line)."""
        tree = getattr(interaction.client, "tree", None)
        if tree is not None:
            await tree.on_error(interaction, ComponentFailed(error))
