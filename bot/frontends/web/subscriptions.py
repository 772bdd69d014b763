"""The Subscriptions page: daily wisdom, talk reminders and programme-change announcements,
created, edited, disabled and re-enabled from the browser.

Every change is a chat command: the form's fields become the same `Invocation` an admin's
`/wisdom subscribe #channel 09:00 Europe/Amsterdam` would, run by the command registry for a
`Caller` on the chosen platform (as an admin, named after the logged-in organiser), so the
validation, the messages and the delivery services are exactly the chat commands'. The one
exception is turning off a single reminder or programme-change subscription, which no chat
command does alone: it calls the platform's `ReminderService.unsubscribe` (or
`AnnouncementService.unsubscribe`) with the subscription's id, as /remind's (or /programme's)
handler calls it for a whole channel. The result is shown on the next page (post, redirect,
get).
"""

from __future__ import annotations

import re

from aiohttp import web

from bot.answer import Answer
from bot.commands import announce
from bot.commands.invocation import Invocation
from bot.commands.registry import Caller
from bot.delivery.reminder_answers import unsubscribed_answer
from bot.frontends.web.auth import audit
from bot.frontends.web.context import Flash, WebContext, context, visit
from bot.frontends.web.render import html, see_other
from bot.store import delivery_views
from bot.store.delivery_views import SubscriptionRow
from bot.store.names import conference_slugs
from bot.store.programme import rooms

COMMUNITY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
# The programme-change announcements' command; its form shows only when the registry has it.
PROGRAMME_SUBSCRIBE = "programme subscribe"


def _text(request: web.Request, name: str, limit: int = 200) -> str:
    value = visit(request).form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


async def page(request: web.Request) -> web.Response:
    ctx = context(request)
    return html(
        request,
        "subscriptions.html",
        title="Subscriptions",
        subscriptions=await delivery_views.subscriptions(ctx.db),
        platforms=sorted(ctx.core.delivery),
        conferences=await conference_slugs(ctx.db),
        rooms=await rooms(ctx.db),
        programme_changes=ctx.core.commands.get(PROGRAMME_SUBSCRIBE) is not None,
    )


def _done(request: web.Request, flash: Flash) -> web.Response:
    context(request).flashes[visit(request).session_key] = flash
    return see_other("/subscriptions")


def _flash(answer: Answer) -> Flash:
    lines = [answer.text, *(f"{field.name}: {field.value}" for field in answer.fields)]
    return Flash(answer.title, "\n".join(line for line in lines if line), ok=answer.found)


async def _run(
    request: web.Request, platform: str, community: str, channel: str, invocation: Invocation
) -> web.Response:
    """Run `invocation` as the organiser, an admin on `platform` in `community`."""
    ctx = context(request)
    if platform not in ctx.core.delivery:
        return _done(request, Flash("Which platform?", _no_platform(ctx), ok=False))
    if not COMMUNITY.fullmatch(community):
        return _done(
            request,
            Flash(
                "Which server or workspace?",
                "Give the Discord server's id or the Slack workspace's team id (like "
                "T0123456789): letters, digits, - _ . :, at most 64.",
                ok=False,
            ),
        )
    user = visit(request).user
    caller = Caller(
        frontend=platform,
        user=f"web:{user}",
        place=community,
        channel=channel,
        admin=True,
        name=user,
    )
    answer = await ctx.core.run(invocation, caller)
    await audit(
        request,
        f"/{invocation.command}",
        f"{platform} {community} {' '.join(f'{k}={v}' for k, v in invocation.args)}: "
        f"{answer.title}",
    )
    return _done(request, _flash(answer))


def _no_platform(ctx: WebContext) -> str:
    running = ", ".join(sorted(ctx.core.delivery)) or "none"
    return (
        "Pick a chat platform this bot is serving (running here: "
        f"{running}); its services make the posts."
    )


async def _create(request: web.Request, command: str, *fields: str) -> web.Response:
    """Run `command` with the channel and `fields` of the form, as its chat command."""
    channel = _text(request, "channel", 100)
    values = {name: _text(request, name, 100) for name in fields}
    invocation = Invocation.of(command, channel=channel, **values)
    return await _run(
        request, _text(request, "platform"), _text(request, "community"), channel, invocation
    )


async def create_wisdom(request: web.Request) -> web.Response:
    return await _create(request, "wisdom subscribe", "time", "timezone")


async def create_reminders(request: web.Request) -> web.Response:
    return await _create(request, "remind subscribe", "minutes", "room", "track", "conference")


async def create_programme_changes(request: web.Request) -> web.Response:
    return await _create(request, PROGRAMME_SUBSCRIBE, "conference", "room", "track")


async def _stored(request: web.Request) -> SubscriptionRow:
    found = await delivery_views.subscription(context(request).db, int(request.match_info["id"]))
    if found is None:
        raise web.HTTPNotFound(text="No such subscription.")
    return found


def _subscribe_again(sub: SubscriptionRow, **changes: str) -> Invocation:
    """The chat command that (re)subscribes `sub`'s channel with its settings, or `changes`."""
    if sub.kind == "wisdom":
        return Invocation.of(
            "wisdom subscribe",
            channel=sub.channel_id,
            time=changes.get("time") or (sub.post_time or ""),
            timezone=changes.get("timezone") or (sub.zone or ""),
        )
    filters = {sub.filter_kind: sub.filter_value} if sub.filter_kind != "all" else {}
    if sub.kind == "programme":
        return Invocation.of(
            PROGRAMME_SUBSCRIBE,
            channel=sub.channel_id,
            conference=sub.conference or None,
            **filters,
        )
    return Invocation.of(
        "remind subscribe",
        channel=sub.channel_id,
        minutes=changes.get("minutes") or str(sub.minutes_before or ""),
        conference=sub.conference or None,
        **filters,
    )


async def edit(request: web.Request) -> web.Response:
    sub = await _stored(request)
    changes = {name: _text(request, name, 80) for name in ("time", "timezone", "minutes")}
    invocation = _subscribe_again(sub, **changes)
    return await _run(request, sub.frontend, sub.guild_id, sub.channel_id, invocation)


async def enable(request: web.Request) -> web.Response:
    sub = await _stored(request)
    return await _run(request, sub.frontend, sub.guild_id, sub.channel_id, _subscribe_again(sub))


async def disable(request: web.Request) -> web.Response:
    ctx = context(request)
    sub = await _stored(request)
    if sub.kind == "wisdom":
        invocation = Invocation.of("wisdom unsubscribe", channel=sub.channel_id)
        return await _run(request, sub.frontend, sub.guild_id, sub.channel_id, invocation)
    services = ctx.core.delivery.get(sub.frontend)
    by = f"{visit(request).user} (web:{visit(request).user})"
    if sub.kind == "programme":
        if services is None or services.programme is None:
            return _done(request, Flash(announce.TITLE, _no_platform(ctx), ok=False))
        changes_off = await services.programme.unsubscribe(
            sub.channel_id, by=by, subscription_id=sub.id
        )
        answer = announce.unsubscribed_answer(changes_off)
    else:
        if services is None or services.reminders is None:
            return _done(request, Flash("Reminders", _no_platform(ctx), ok=False))
        reminders_off = await services.reminders.unsubscribe(
            sub.channel_id, by=by, subscription_id=sub.id
        )
        answer = unsubscribed_answer(reminders_off)
    await audit(request, f"{sub.kind} disabled", f"#{sub.id} {sub.frontend} {sub.channel_id}")
    return _done(request, _flash(answer))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/subscriptions", page)
    app.router.add_post("/subscriptions/wisdom", create_wisdom)
    app.router.add_post("/subscriptions/reminders", create_reminders)
    app.router.add_post("/subscriptions/programme", create_programme_changes)
    app.router.add_post(r"/subscriptions/{id:\d+}/edit", edit)
    app.router.add_post(r"/subscriptions/{id:\d+}/enable", enable)
    app.router.add_post(r"/subscriptions/{id:\d+}/disable", disable)
