"""An `Answer` as a Discord embed and components, within every limit Discord enforces.

Discord answers 400 (50035) to a message that breaks a limit, and discord.py checks none of
them, so everything is cut here, with an ellipsis: title 256, description 4096, 25 fields, field
name 256 and value 1024, footer 2048, 6000 characters across the embed; select options 25 with
label/description/value 100; button labels 80; custom_id 100. Data and user text is escaped
(markdown and @everyone/@here), search highlights become bold.
The buttons and select menus are built in `components`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import discord
from discord import app_commands

from bot.answer import Answer, Choice, Moment, render_highlights, render_moments, strip_highlights

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
CONTENT_MAX = 2000
URL_MAX = 2048
CUSTOM_ID_MAX = 100
SELECT_OPTIONS_MAX = 25
SELECT_TEXT_MAX = 100
SELECT_PLACEHOLDER_MAX = 150
BUTTON_LABEL_MAX = 80
BUTTONS_PER_ROW = 5
AUTOCOMPLETE_MAX = 25
AUTOCOMPLETE_TEXT_MAX = 100

ELLIPSIS = "…"
EMPTY = "\u200b"  # a field name or value may not be empty

COLOURS = {
    "talk": discord.Colour.blurple(),
    "speaker": discord.Colour.green(),
    "nugget": discord.Colour.gold(),
    "wisdom": discord.Colour.gold(),
    "search": discord.Colour.teal(),
    "choices": discord.Colour.blurple(),
    "help": discord.Colour.blurple(),
    "error": discord.Colour.red(),
}
NEUTRAL = discord.Colour.light_grey()


# --------------------------------------------------------------------------------------------
# Text


@functools.lru_cache(maxsize=2048)
def escape(text: str) -> str:
    """Escape Discord markdown and neutralise @everyone / @here in data or user text.

    Memoised: talk titles, summaries and names come back in answer after answer, and
    discord.py's escape_markdown is the costliest step of rendering one.
    """
    escaped = discord.utils.escape_markdown(text)
    return discord.utils.escape_mentions(escaped) if "@" in escaped else escaped


def fit(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in an ellipsis when cut.

    The cut never leaves a dangling escape backslash or an unclosed ``**`` highlight.
    """
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    cut = text[: limit - 3]
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:
        cut = cut[:-1]
    cut = cut.rstrip()
    if cut.count("**") % 2:
        cut += "**"
    return cut + ELLIPSIS


def rich(text: str) -> str:
    """Data text for a markdown place: escaped, search highlights in bold, moments as
    Discord timestamps (shown in each reader's own zone)."""
    return render_moments(text, _highlighted, timestamp)


def _highlighted(text: str) -> str:
    return render_highlights(text, escape, "**", "**")


_TIMESTAMP_STYLES = {"time": "t", "datetime": "f", "relative": "R"}


def timestamp(moment: Moment) -> str:
    """`<t:1735292400:t>`: Discord shows it in the reader's zone (`R`: "in 10 minutes")."""
    return f"<t:{moment.unix}:{_TIMESTAMP_STYLES[moment.style]}>"


def plain(text: str) -> str:
    """Text for a place without markdown (footer, select options, labels)."""
    return " ".join(strip_highlights(text).split())


def valid_url(url: str | None) -> str | None:
    if url and len(url) <= URL_MAX and re.match(r"^https?://[^\s]+$", url):
        return url
    return None


# --------------------------------------------------------------------------------------------
# Embeds


def answer_embed(answer: Answer) -> discord.Embed:
    """The answer as one embed that Discord accepts, whatever the data holds."""
    title = fit(escape(plain(answer.title)) or "confbot", TITLE_MAX)
    description = fit(rich(answer.text), DESCRIPTION_MAX)
    fields: list[tuple[str, str, bool]] = []
    for item in answer.fields[:FIELDS_MAX]:
        name = fit(escape(plain(item.name)), FIELD_NAME_MAX) or EMPTY
        value = fit(rich(item.value).strip(), FIELD_VALUE_MAX) or EMPTY
        fields.append((name, value, item.inline))
    footer_parts = [plain(answer.footer)] if answer.footer else []
    if answer.pages > 1:
        footer_parts.append(f"Page {answer.page} of {answer.pages}")
    footer = fit(" · ".join(footer_parts), FOOTER_MAX)

    # 6000 characters across the embed: shorten the description, then drop trailing fields,
    # then shorten the footer.
    def total() -> int:
        return (
            len(title) + len(description) + len(footer) + sum(len(n) + len(v) for n, v, _ in fields)
        )

    excess = total() - EMBED_TOTAL_MAX
    if excess > 0 and len(description) > 500:
        description = fit(description, max(500, len(description) - excess))
        excess = total() - EMBED_TOTAL_MAX
    while excess > 0 and fields:
        fields.pop()
        excess = total() - EMBED_TOTAL_MAX
    if excess > 0:
        footer = fit(footer, max(0, len(footer) - excess))
        excess = total() - EMBED_TOTAL_MAX
    if excess > 0:
        description = fit(description, max(0, len(description) - excess))

    embed = discord.Embed(
        title=title,
        description=description or None,
        colour=COLOURS.get(answer.kind, NEUTRAL) if answer.found else NEUTRAL,
        url=valid_url(answer.url),
    )
    for name, value, inline in fields:
        embed.add_field(name=name, value=value, inline=inline)
    if footer:
        embed.set_footer(text=footer)
    return embed


# --------------------------------------------------------------------------------------------
# Autocomplete


def autocomplete_choices(
    choices: Iterable[Choice], limit: int = AUTOCOMPLETE_MAX
) -> list[app_commands.Choice[str]]:
    """Core suggestions as at most 25 autocomplete choices, names and values within 100.

    A choice whose value (the query it asks) is over 100 characters is left out: a cut value
    would ask something else.
    """
    out: list[app_commands.Choice[str]] = []
    seen: set[str] = set()
    for choice in choices:
        value = choice.query
        if not value or len(value) > AUTOCOMPLETE_TEXT_MAX or value in seen:
            continue
        label = plain(choice.label)
        detail = plain(choice.description)
        name = f"{label} · {detail}" if detail else label
        if len(name) > AUTOCOMPLETE_TEXT_MAX:
            name = fit(label, AUTOCOMPLETE_TEXT_MAX)
        if not name:
            continue
        seen.add(value)
        out.append(app_commands.Choice(name=name, value=value))
        if len(out) >= limit:
            break
    return out


def short_line(text: str) -> str:
    """A one-line message (errors): plain content within the 2000-character limit, escaped."""
    return fit(escape(text), CONTENT_MAX)
