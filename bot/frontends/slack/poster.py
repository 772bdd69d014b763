"""The Slack poster for daily wisdom, talk reminders, programme-change announcements and
personal agenda DMs: `chat.postMessage`, with errors sorted for the scheduler.

The schedulers (`bot.delivery.wisdom_service.WisdomService`,
`bot.delivery.reminder_service.ReminderService`, ...) decide what to post and when; this only
delivers one post and says whether a failure is permanent (the channel is gone, the bot is not
in it, a scope is missing: counts towards disabling the subscription) or transient (rate
limited, a Slack server error, a network problem: retried with backoff). An agenda DM goes to
the IM channel stored when the person followed (`bot.frontends.slack.dm_channels`), not
opened at send time; a stored channel Slack no longer knows is opened once more.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Collection
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.answer import Answer
from bot.delivery.agenda_plan import AgendaPost
from bot.delivery.announce_plan import AnnouncementPost
from bot.delivery.model import PermanentSendError, TransientSendError
from bot.delivery.pacing import Pacer
from bot.frontends.slack import pacing
from bot.frontends.slack.blocks import answer_message
from bot.frontends.slack.dm_channels import DmChannels
from bot.reminders import ReminderPost
from bot.wisdom import WisdomPost

log = logging.getLogger("confbot.slack")
T = TypeVar("T")

METADATA_EVENT = "confbot_daily_wisdom"
"""The `metadata.event_type` every daily post carries, with its idempotency key."""
REMINDER_EVENT = "confbot_talk_reminder"
"""The `metadata.event_type` every talk reminder carries, with its idempotency key."""
AGENDA_EVENT = "confbot_agenda_dm"
"""The `metadata.event_type` every personal agenda DM carries, with its idempotency key."""

ANNOUNCEMENT_EVENT = "confbot_programme_changes"
"""The `metadata.event_type` every programme-change announcement carries, with its key."""

Post = WisdomPost | ReminderPost | AgendaPost | AnnouncementPost

DM_ERRORS = {
    "cannot_dm_bot": "Slack does not let me message that account (it is a bot)",
    "user_not_found": "Slack knows no such user in this workspace",
    "user_disabled": "your Slack account is deactivated",
    "user_not_visible": "Slack does not let me see your account",
    "not_in_channel": "I am not in our direct message conversation any more",
    "channel_not_found": "our direct message conversation is gone",
    "is_archived": "our direct message conversation is archived",
    "messages_tab_disabled": "messages to the app are turned off: turn on the Messages tab "
    "in the app's settings",
    "missing_scope": "the app may not open direct messages (reinstall it from "
    "slack-manifest.yml, which asks for im:write)",
}
"""Slack errors that stop a DM for good, in words fit to show the person."""

PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "missing_scope",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "cannot_reply_to_message",
        "ekm_access_denied",
        "team_access_not_granted",
        "no_permission",
    }
)
"""Slack errors that will keep happening until someone changes the workspace."""

STALE_IM_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
"""A stored IM channel refused with these may just be an old one: it is opened once more."""

AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)
"""The bot token itself is bad: every channel fails, so no subscription is blamed for it."""

AUTH_RETRY_SECONDS = 600.0
HISTORY_SCOPES = frozenset({"channels:history", "groups:history"})
IM_HISTORY_SCOPES = frozenset({"im:history"})
HISTORY_PAGE = 200
LOOKUP_SKEW = timedelta(minutes=1)
"""Read history from a minute before the first attempt (clocks differ)."""


def metadata(post: Post) -> dict[str, Any]:
    """The message metadata of `post`: its kind (event type) and its idempotency key."""
    if isinstance(post, AgendaPost):
        return {
            "event_type": AGENDA_EVENT,
            "event_payload": {"idempotency_key": post.idempotency_key},
        }
    if isinstance(post, AnnouncementPost):
        return {
            "event_type": ANNOUNCEMENT_EVENT,
            "event_payload": {
                "idempotency_key": post.idempotency_key,
                "subscription_id": str(post.subscription_id),
                "batch_id": str(post.batch_id),
                "part": str(post.part),
            },
        }
    if isinstance(post, ReminderPost):
        return {
            "event_type": REMINDER_EVENT,
            "event_payload": {
                "idempotency_key": post.idempotency_key,
                "subscription_id": str(post.subscription_id),
                "talk_key": post.talk_key,
            },
        }
    return {
        "event_type": METADATA_EVENT,
        "event_payload": {
            "idempotency_key": post.idempotency_key,
            "local_date": post.local_date.isoformat(),
            "nugget_key": post.nugget_key,
        },
    }


class SlackPoster:
    """Implements `bot.delivery.model.Poster` (for daily wisdom and reminders) over an
    `AsyncWebClient`. `posts` counts the daily posts made, `reminders` the reminders.

    `scopes` are the bot token's granted scopes when known (from `auth.test`): the history
    lookup in `find_existing` is only tried when a history scope was granted (the manifest
    does not ask for one; see the README). Every call waits for `pacer` within `rates`
    (`bot.frontends.slack.pacing`: the method's tier, one post a second in a channel); pass
    one pacer to every poster of the same token. An agenda DM goes to the person's IM
    channel from `dm_channels` (stored when they followed; opened here only when none is),
    which should share that pacer.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        scopes: Collection[str] | None = None,
        pacer: Pacer | None = None,
        rates: pacing.SlackRates | None = None,
        dm_channels: DmChannels | None = None,
    ) -> None:
        self.client = client
        self.scopes = frozenset(scopes) if scopes is not None else None
        self.pacer = pacer or Pacer()
        self.rates = rates or pacing.SlackRates()
        self.posts = 0
        self.reminders = 0
        self.direct_messages = 0
        self.announcements = 0
        self.dm_channels = dm_channels or DmChannels(client, pacer=self.pacer, rates=self.rates)

    async def _destination(self, post: Post) -> tuple[str, bool]:
        """The post's channel, and whether it is an IM channel stored before this send (one
        Slack may have closed since); for an agenda DM, `dm_channels` gives the channel."""
        if not isinstance(post, AgendaPost):
            return post.channel_id, False
        return await _dm_opening(self.dm_channels.channel_for(post.channel_id))

    async def _reopen(self, post: AgendaPost) -> str:
        """The stored IM channel is gone: forget it and open the DM once more (paced)."""
        await self.dm_channels.forget(post.channel_id)
        return await _dm_opening(self.dm_channels.open(post.channel_id))

    async def send(self, post: Post, answer: Answer) -> str:
        """Post `answer` in the post's channel; returns the message ts. An agenda DM whose
        stored IM channel Slack no longer knows is opened once more and posted there."""
        message = answer_message(answer)
        channel, stored = await self._destination(post)
        try:
            response = await self._post(post, message, channel)
        except SlackApiError as error:
            if not (stored and isinstance(post, AgendaPost) and _code(error) in STALE_IM_ERRORS):
                raise self._classified(post, error) from error
            channel = await self._reopen(post)
            try:
                response = await self._post(post, message, channel)
            except SlackApiError as again:
                raise classify_dm(again) from again
        ts = str(response.get("ts") or "")
        if isinstance(post, AgendaPost):
            self.direct_messages += 1
            log.debug("agenda DM #%d posted", post.subscription_id)  # never the user id
        elif isinstance(post, AnnouncementPost):
            self.announcements += 1
            log.debug("programme changes posted in channel %s (ts %s)", post.channel_id, ts)
        elif isinstance(post, ReminderPost):
            self.reminders += 1
            log.debug("reminder for %s posted in channel %s", post.talk_ref, post.channel_id)
        else:
            self.posts += 1
            log.debug("daily wisdom posted in Slack channel %s (ts %s)", post.channel_id, ts)
        return ts

    async def _post(self, post: Post, message: dict[str, Any], channel: str) -> Any:
        """One paced chat.postMessage; a network failure is transient, a Slack error raised."""
        try:
            return await pacing.call(
                self.pacer,
                self.rates,
                pacing.POST_METHOD,
                lambda: self.client.chat_postMessage(
                    channel=channel,
                    text=message["text"],
                    blocks=message["blocks"],
                    unfurl_links=False,
                    unfurl_media=False,
                    metadata=metadata(post),
                ),
                channel=channel,
            )
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TransientSendError(f"network error: {type(error).__name__}") from error

    @staticmethod
    def _classified(post: Post, error: SlackApiError) -> PermanentSendError | TransientSendError:
        return (classify_dm if isinstance(post, AgendaPost) else classify)(error)

    async def find_existing(self, post: Post) -> str | None:
        """The ts of a message already carrying this post's idempotency key, or None.

        Needs channels:history / groups:history (the manifest asks for both); without them (or
        on any error) this answers None and the scheduler resends with the same key.
        """
        wanted = IM_HISTORY_SCOPES if isinstance(post, AgendaPost) else HISTORY_SCOPES
        if self.scopes is not None and not (self.scopes & wanted):
            return None
        channel, _ = await self._destination(post)
        event_type = metadata(post)["event_type"]
        attempted = post.attempted_at or post.scheduled_at
        oldest = f"{(attempted - LOOKUP_SKEW).timestamp():.6f}"
        cursor: str | None = None
        # Every page from the first attempt on: the post is found however much was said after.
        while True:
            try:
                response = await pacing.call(
                    self.pacer,
                    self.rates,
                    "conversations.history",
                    partial(
                        self.client.conversations_history,
                        channel=channel,
                        oldest=oldest,
                        include_all_metadata=True,
                        limit=HISTORY_PAGE,
                        cursor=cursor,
                    ),
                )
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
                log.debug("cannot look up earlier posts: %s", _code(error))
                return None
            messages = response.get("messages") or []
            for message in messages if isinstance(messages, list) else []:
                if _carries(message, event_type, post.idempotency_key):
                    return str(message.get("ts"))
            meta = response.get("response_metadata")
            cursor = meta.get("next_cursor") if isinstance(meta, dict) else None
            if not response.get("has_more") or not cursor:
                return None


async def _dm_opening(opening: Awaitable[T]) -> T:
    """`opening` (of an IM channel), its failure sorted as a DM's."""
    try:
        return await opening
    except SlackApiError as error:
        raise classify_dm(error) from error
    except (aiohttp.ClientError, TimeoutError) as error:
        raise TransientSendError(f"network error: {type(error).__name__}") from error


def _carries(message: Any, event_type: str, key: str) -> bool:
    found = message.get("metadata") if isinstance(message, dict) else None
    if not isinstance(found, dict) or found.get("event_type") != event_type:
        return False
    payload = found.get("event_payload")
    return isinstance(payload, dict) and payload.get("idempotency_key") == key


def classify(error: SlackApiError) -> PermanentSendError | TransientSendError:
    """Sort a Slack API error into permanent (channel/permission) or transient."""
    response = error.response
    code = _code(error)
    status = int(getattr(response, "status_code", 200) or 200)
    if code == "ratelimited" or status == 429:
        return TransientSendError("ratelimited", retry_after=pacing.retry_after(error))
    if code in PERMANENT_ERRORS:
        return PermanentSendError(code)
    if code in AUTH_ERRORS:
        return TransientSendError(f"the bot token was refused ({code})", AUTH_RETRY_SECONDS)
    if status >= 500:
        return TransientSendError(f"Slack server error {status} ({code})")
    return TransientSendError(code)


def classify_dm(error: SlackApiError) -> PermanentSendError | TransientSendError:
    """A Slack error of a direct message: the ones that keep a person from getting DMs are
    permanent, said so the person can act on it; others as `classify`."""
    code = _code(error)
    if code in DM_ERRORS:
        return PermanentSendError(f"{DM_ERRORS[code]} (Slack: {code})")
    return classify(error)


def _code(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        try:
            return str(error.response.get("error") or "unknown_error")
        except (AttributeError, TypeError):
            return "unknown_error"
    return type(error).__name__
