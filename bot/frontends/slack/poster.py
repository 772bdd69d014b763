"""The Slack poster for daily wisdom, talk reminders and programme-change announcements:
`chat.postMessage`, with errors
sorted for the scheduler.

The schedulers (`bot.delivery.wisdom_service.WisdomService`,
`bot.delivery.reminder_service.ReminderService`)
decide what to post and when; this only
delivers one post and says whether a failure is permanent (the channel is gone, the bot is not
in it, a scope is missing: counts towards disabling the subscription) or transient (rate
limited, a Slack server error, a network problem: retried with backoff).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.answer import Answer
from bot.delivery.announce_plan import AnnouncementPost
from bot.delivery.model import PermanentSendError, TransientSendError
from bot.frontends.slack.blocks import answer_message
from bot.reminders import ReminderPost
from bot.wisdom import WisdomPost

log = logging.getLogger("confbot.slack")

METADATA_EVENT = "confbot_daily_wisdom"
"""The `metadata.event_type` every daily post carries, with its idempotency key."""
REMINDER_EVENT = "confbot_talk_reminder"
"""The `metadata.event_type` every talk reminder carries, with its idempotency key."""

ANNOUNCEMENT_EVENT = "confbot_programme_changes"
"""The `metadata.event_type` every programme-change announcement carries, with its key."""

Post = WisdomPost | ReminderPost | AnnouncementPost

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

AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)
"""The bot token itself is bad: every channel fails, so no subscription is blamed for it."""

AUTH_RETRY_SECONDS = 600.0
HISTORY_SCOPES = frozenset({"channels:history", "groups:history"})
HISTORY_PAGE = 200
LOOKUP_SKEW = timedelta(minutes=1)
"""Read history from a minute before the first attempt (clocks differ)."""


def metadata(post: Post) -> dict[str, Any]:
    """The message metadata of `post`: its kind (event type) and its idempotency key."""
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
    does not ask for one; see the README).
    """

    def __init__(self, client: AsyncWebClient, *, scopes: Collection[str] | None = None) -> None:
        self.client = client
        self.scopes = frozenset(scopes) if scopes is not None else None
        self.posts = 0
        self.reminders = 0
        self.announcements = 0

    async def send(self, post: Post, answer: Answer) -> str:
        """Post `answer` in the post's channel; returns the message ts."""
        message = answer_message(answer)
        try:
            response = await self.client.chat_postMessage(
                channel=post.channel_id,
                text=message["text"],
                blocks=message["blocks"],
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata(post),
            )
        except SlackApiError as error:
            raise classify(error) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TransientSendError(f"network error: {type(error).__name__}") from error
        ts = str(response.get("ts") or "")
        if isinstance(post, AnnouncementPost):
            self.announcements += 1
            log.debug("programme changes posted in channel %s (ts %s)", post.channel_id, ts)
        elif isinstance(post, ReminderPost):
            self.reminders += 1
            log.debug("reminder for %s posted in channel %s", post.talk_ref, post.channel_id)
        else:
            self.posts += 1
            log.debug("daily wisdom posted in Slack channel %s (ts %s)", post.channel_id, ts)
        return ts

    async def find_existing(self, post: Post) -> str | None:
        """The ts of a message already carrying this post's idempotency key, or None.

        Needs channels:history / groups:history (the manifest asks for both); without them (or
        on any error) this answers None and the scheduler resends with the same key.
        """
        if self.scopes is not None and not (self.scopes & HISTORY_SCOPES):
            return None
        event_type = metadata(post)["event_type"]
        attempted = post.attempted_at or post.scheduled_at
        oldest = f"{(attempted - LOOKUP_SKEW).timestamp():.6f}"
        cursor: str | None = None
        # Every page from the first attempt on: the post is found however much was said after.
        while True:
            try:
                response = await self.client.conversations_history(
                    channel=post.channel_id,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=HISTORY_PAGE,
                    cursor=cursor,
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
        return TransientSendError("ratelimited", retry_after=_retry_after(error))
    if code in PERMANENT_ERRORS:
        return PermanentSendError(code)
    if code in AUTH_ERRORS:
        return TransientSendError(f"the bot token was refused ({code})", AUTH_RETRY_SECONDS)
    if status >= 500:
        return TransientSendError(f"Slack server error {status} ({code})")
    return TransientSendError(code)


def _code(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        try:
            return str(error.response.get("error") or "unknown_error")
        except (AttributeError, TypeError):
            return "unknown_error"
    return type(error).__name__


def _retry_after(error: SlackApiError) -> float | None:
    headers = getattr(error.response, "headers", None) or {}
    for key, value in dict(headers).items():
        if str(key).lower() == "retry-after":
            try:
                return float(value if not isinstance(value, list) else value[0])
            except (TypeError, ValueError):
                return None
    return None
