"""A local fake of Discord (REST API + websocket gateway) for end-to-end tests of discord.py bots.

One `FakeDiscord` is an aiohttp server on 127.0.0.1 that speaks the wire protocols the installed
discord.py 2.7.1 uses, so a real ``commands.Bot`` (with ``app_commands``) runs against it:

* the REST API under ``/api/v10`` (login, application info, command sync, interaction callbacks,
  webhook followups, channel messages, ...), always answering ``Content-Type: application/json``;
* the gateway (HELLO, heartbeats, IDENTIFY -> READY + GUILD_CREATE, RESUME with replay of missed
  dispatches, op 7 RECONNECT, op 9 INVALID_SESSION), in plain text frames (no zlib).

It enforces what Discord enforces and a bot can get wrong: the 3 s interaction deadline (10062),
double acknowledgement (40060), message/embed/component/choice limits (50035), empty messages
(50006), unknown or deleted channels (10003), missing permissions (50001/50013), followups
before the acknowledgement (10015), Discord's rate limits (the global 50 requests a second and
route buckets, with every ``X-RateLimit-*`` header and a 429 when exceeded: ratelimits.py,
lowered or turned off with ``FakeDiscord(rate_limits=DiscordRateLimits(...))``, 429s counted
in ``fake.limiter.refused``), and it can inject 429s (with ``Via`` and ``retry_after``, so
discord.py waits and retries) or any other failure.

Typical use::

    async with FakeDiscord() as fake, running_bot(MyBot(...), fake) as bot:
        result = await fake.invoke("ping", {"topic": "rust"})
        assert result.content == "pong: rust"
        clicked = await fake.click(result, "again")
        choices = await fake.autocomplete("ping", {"topic": "ru"}, focused="topic")

Every wait has a timeout (default 5 s), so a broken bot fails a test instead of hanging it.

Conventions:

* one bot per fake (a second IDENTIFY replaces the first session);
* like Discord's client, `invoke`/`autocomplete` only offer commands registered for that place
  and visible to the user (``contexts``, ``default_member_permissions``): LookupError or
  PermissionError otherwise (``enforce_command_visibility=False`` turns this off; with nothing
  synced at all the fake is lenient);
* paths in `requests`, `requests_to`, `rate_limit_next` and `fail_next` are relative to the API
  base, e.g. ``/channels/123/messages``; requests to routes the fake lacks get a 404 and land in
  `unhandled` (assert it is empty to catch new discord.py calls);
* stored messages are live dicts: later edits show in `InteractionResult.message` and
  `channel_messages`.

Layout, one module per protocol area (`FakeDiscord` in server.py is built from the parts):
limits.py (what Discord answers 400/50035 for), ratelimits.py (what it answers 429 for),
wire.py (shared constants and helpers),
state.py (`_State`: the attributes every part shares, addresses, waiting), rest.py (REST
transport, request records, fault injection), gateway.py, guilds.py (users, guilds, channels,
permissions), messages.py, interactions.py (callbacks, webhooks, `InteractionResult`),
commands.py (command sync and command interaction data), driving.py (`invoke`, `click`, ...).
An attribute that ``FakeDiscord.__init__`` sets and a part uses is declared in `_State`.
"""

from __future__ import annotations

from .interactions import InteractionRejected, InteractionResult, InteractionTimeout
from .limits import (
    ACTION_ROWS_MAX,
    AUTOCOMPLETE_CHOICES_MAX,
    CONTENT_MAX,
    EMBED_TOTAL_MAX,
    EMBEDS_MAX,
    SELECT_OPTIONS_MAX,
    message_problems,
)
from .limits import ATTACHMENT_SIZE_LIMIT as ATTACHMENT_SIZE_LIMIT
from .limits import BUTTON_LABEL_MAX as BUTTON_LABEL_MAX
from .limits import CHOICE_TEXT_MAX as CHOICE_TEXT_MAX
from .limits import COMMAND_DESCRIPTION_MAX as COMMAND_DESCRIPTION_MAX
from .limits import COMMAND_NAME_MAX as COMMAND_NAME_MAX
from .limits import COMMAND_OPTIONS_MAX as COMMAND_OPTIONS_MAX
from .limits import CUSTOM_ID_MAX as CUSTOM_ID_MAX
from .limits import EMBED_AUTHOR_MAX as EMBED_AUTHOR_MAX
from .limits import EMBED_DESCRIPTION_MAX as EMBED_DESCRIPTION_MAX
from .limits import EMBED_FIELD_NAME_MAX as EMBED_FIELD_NAME_MAX
from .limits import EMBED_FIELD_VALUE_MAX as EMBED_FIELD_VALUE_MAX
from .limits import EMBED_FIELDS_MAX as EMBED_FIELDS_MAX
from .limits import EMBED_FOOTER_MAX as EMBED_FOOTER_MAX
from .limits import EMBED_TITLE_MAX as EMBED_TITLE_MAX
from .limits import MODAL_COMPONENTS_MAX as MODAL_COMPONENTS_MAX
from .limits import MODAL_TITLE_MAX as MODAL_TITLE_MAX
from .limits import NONCE_MAX as NONCE_MAX
from .limits import ROW_COMPONENTS_MAX as ROW_COMPONENTS_MAX
from .limits import SELECT_OPTION_TEXT_MAX as SELECT_OPTION_TEXT_MAX
from .limits import SELECT_PLACEHOLDER_MAX as SELECT_PLACEHOLDER_MAX
from .limits import TEXT_INPUT_LABEL_MAX as TEXT_INPUT_LABEL_MAX
from .limits import TEXT_INPUT_VALUE_MAX as TEXT_INPUT_VALUE_MAX
from .limits import V2_COMPONENTS_MAX as V2_COMPONENTS_MAX
from .limits import Problem as Problem
from .ratelimits import DiscordRateLimits as DiscordRateLimits
from .rest import RecordedRequest
from .server import ClientT as ClientT
from .server import FakeDiscord, running_bot, use_fake_discord
from .wire import ADMIN_ROLE_PERMISSIONS as ADMIN_ROLE_PERMISSIONS
from .wire import ADMINISTRATOR as ADMINISTRATOR
from .wire import ALL_PERMISSIONS as ALL_PERMISSIONS
from .wire import API_PREFIX as API_PREFIX
from .wire import BASIC_PERMISSIONS as BASIC_PERMISSIONS
from .wire import BOT_ROLE_PERMISSIONS as BOT_ROLE_PERMISSIONS
from .wire import DEFAULT_GUILD, INTERACTION_DEADLINE
from .wire import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from .wire import FLAG_COMPONENTS_V2 as FLAG_COMPONENTS_V2
from .wire import FLAG_EPHEMERAL as FLAG_EPHEMERAL
from .wire import FLAG_LOADING as FLAG_LOADING
from .wire import FLAG_SUPPRESS_EMBEDS as FLAG_SUPPRESS_EMBEDS
from .wire import FLAG_SUPPRESS_NOTIFICATIONS as FLAG_SUPPRESS_NOTIFICATIONS
from .wire import FOLLOWUP_LIFETIME as FOLLOWUP_LIFETIME
from .wire import INTENT_DIRECT_MESSAGES as INTENT_DIRECT_MESSAGES
from .wire import INTENT_GUILD_MEMBERS as INTENT_GUILD_MEMBERS
from .wire import INTENT_GUILD_MESSAGES as INTENT_GUILD_MESSAGES
from .wire import INTENT_GUILDS as INTENT_GUILDS
from .wire import INTENT_MESSAGE_CONTENT as INTENT_MESSAGE_CONTENT

# Everything else the single module offered before the split, importable as before.
from .wire import JSON as JSON
from .wire import MANAGE_MESSAGES as MANAGE_MESSAGES
from .wire import NONCE_WINDOW as NONCE_WINDOW
from .wire import SEND_MESSAGES as SEND_MESSAGES
from .wire import VIEW_CHANNEL as VIEW_CHANNEL
from .wire import T as T

__all__ = [
    "ACTION_ROWS_MAX",
    "AUTOCOMPLETE_CHOICES_MAX",
    "CONTENT_MAX",
    "DEFAULT_GUILD",
    "EMBEDS_MAX",
    "EMBED_TOTAL_MAX",
    "INTERACTION_DEADLINE",
    "SELECT_OPTIONS_MAX",
    "FakeDiscord",
    "InteractionRejected",
    "InteractionResult",
    "InteractionTimeout",
    "RecordedRequest",
    "message_problems",
    "running_bot",
    "use_fake_discord",
]
