"""A local fake of Slack for end-to-end tests of Bolt apps.

One `FakeSlack` is an aiohttp server on 127.0.0.1 that speaks the real wire protocols the
installed slack_sdk 3.47 / slack_bolt 1.30 use:

* the Web API (``POST|GET /api/<method>``, form, query or JSON arguments, Bearer tokens),
  for an ``AsyncWebClient(base_url=fake.api_url)``;
* ``response_url`` endpoints that record what ``respond()`` posts;
* Socket Mode: ``apps.connections.open`` hands out a ``ws://`` URL on the fake; the
  websocket says ``hello`` and carries envelopes that the app acks by ``envelope_id``;
* HTTP mode: signed (``X-Slack-Signature: v0=...``) slash command and ``block_actions``
  requests that tests POST to the Bolt app's own aiohttp server (`serve_bolt_http`).

Typical use::

    async with FakeSlack() as fake:
        channel = fake.add_channel("general")
        user = fake.add_user("alice", admin=False)
        app = AsyncApp(
            client=AsyncWebClient(token=fake.bot_token, base_url=fake.api_url),
            signing_secret=fake.signing_secret,
        )
        ...
        async with serve_bolt_http(app) as url:  # HTTP mode
            result = await fake.http_slash_command(url, "/ping", user_id=user,
                                                   channel_id=channel, wait_responses=1)
        async with fake.socket_mode(app):  # Socket Mode
            result = await fake.socket_slash_command("/ping", user_id=user,
                                                     channel_id=channel, wait_responses=1)

Slack's rate limits are enforced at their published values (method tiers, one
chat.postMessage a second in a channel: 429 with ``Retry-After``; ratelimits.py), lowered or
turned off with ``FakeSlack(rate_limits=SlackRateLimits(...))``; every 429 is counted in
``fake.limiter.refused``.

Everything the app sends is recorded (`calls`, `posted`, `ephemerals`, `updates`,
`responses`) and every wait has a timeout, so a broken app fails a test instead of hanging it.

Layout, one module per protocol area (`FakeSlack` in server.py is built from the parts):
limits.py (Block Kit validation), ratelimits.py (tiers and 429s), state.py (`_State`: the
attributes every part shares, addresses, ids, waiting), workspace.py (users, channels),
web_api.py (``/api/<method>``, faults), interactions.py (slash command and button payloads,
acks, response_urls), socket_mode.py (apps.connections.open and the websocket), signing.py
(HTTP mode: signed requests).
An attribute that ``FakeSlack.__init__`` sets and a part uses is declared in `_State`.
"""

from __future__ import annotations

from .interactions import ACK_DEADLINE_SECONDS, InteractionResult, ResponsePost, SlashResult
from .interactions import RESPONSE_URL_MAX_USES as RESPONSE_URL_MAX_USES
from .limits import MAX_ACTIONS_ELEMENTS as MAX_ACTIONS_ELEMENTS
from .limits import MAX_BLOCKS, MAX_SECTION_FIELDS, MAX_SECTION_TEXT, MAX_TEXT, validate_message
from .limits import MAX_BUTTON_TEXT as MAX_BUTTON_TEXT
from .limits import MAX_BUTTON_VALUE as MAX_BUTTON_VALUE
from .limits import MAX_CONTEXT_ELEMENTS as MAX_CONTEXT_ELEMENTS
from .limits import MAX_FIELD_TEXT as MAX_FIELD_TEXT
from .limits import MAX_HEADER_TEXT as MAX_HEADER_TEXT
from .limits import MAX_ID_LENGTH as MAX_ID_LENGTH
from .ratelimits import SlackRateLimits as SlackRateLimits
from .server import FakeSlack, serve_bolt_http
from .signing import SIGNATURE_MAX_AGE_SECONDS, SignedRequest

# Everything else the single module offered before the split, importable as before.
from .state import JSON as JSON
from .state import T as T
from .web_api import ApiCall
from .web_api import SlackError as SlackError
from .workspace import FakeChannel as FakeChannel
from .workspace import FakeUser as FakeUser

__all__ = [
    "ACK_DEADLINE_SECONDS",
    "MAX_BLOCKS",
    "MAX_SECTION_FIELDS",
    "MAX_SECTION_TEXT",
    "MAX_TEXT",
    "SIGNATURE_MAX_AGE_SECONDS",
    "ApiCall",
    "FakeSlack",
    "InteractionResult",
    "ResponsePost",
    "SignedRequest",
    "SlashResult",
    "serve_bolt_http",
    "validate_message",
]
