"""The console's pages over a real database: the overview, the subscriptions made, edited,
disabled and re-enabled through the chat commands (same checks, same words), and the
delivery log with its failures and the re-enable button."""

from __future__ import annotations

import re

from bot.commands.invocation import Invocation
from bot.commands.nugget_queue import NuggetQueue, Submitter
from bot.commands.registry import Caller
from bot.delivery.model import PermanentSendError
from bot.records import Cue
from bot.sources.transcripts import cues_to_text
from bot.store import audit as audit_log
from bot.store import delivery_views
from bot.store.content import attach_transcript
from bot.store.deliveries import disable
from tests.web.conftest import Console

CHANNEL = "123456789012345678"
FAIRYTALE = "normconf-2022/an-ml-fairytale"
WORDS = "She took all the orders that were placed in the United States."
WISDOM = {
    "platform": "discord",
    "community": "G1",
    "channel": CHANNEL,
    "time": "09:00",
    "timezone": "Europe/Amsterdam",
}


def flash(page: str) -> str:
    found = re.search(r'<div class="flash[^"]*" role="status">(.*?)</div>', page, re.S)
    assert found is not None, "no message on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found[1])).strip()


async def test_the_overview_names_conferences_front_ends_and_the_next_posts(
    console: Console,
) -> None:
    await console.log_in()
    await console.post("/subscriptions/wisdom", **WISDOM)
    status, page = await console.page("/")
    assert status == 200
    assert "NormConf 2022" in page and "TuMoCon" in page
    assert "discord" in page and "connected: daily wisdom, reminders" in page
    assert "daily wisdom at 09:00 Europe/Amsterdam" in page
    assert "2019-08-23 07:00 UTC" in page  # the first post after the clock's 10:00 UTC
    assert "wisdom subscribe" in page  # the latest actions


async def test_a_daily_wisdom_form_subscribes_as_the_chat_command_does(console: Console) -> None:
    await console.log_in("ada")
    status, location, _ = await console.post("/subscriptions/wisdom", **WISDOM)
    assert status == 303 and location == "/subscriptions"
    _, page = await console.page("/subscriptions")
    assert flash(page).startswith("Daily wisdom subscribed A nugget of wisdom will be posted")
    (sub,) = await delivery_views.subscriptions(console.db)
    assert (sub.kind, sub.frontend, sub.guild_id, sub.channel_id) == (
        "wisdom",
        "discord",
        "G1",
        CHANNEL,
    )
    assert (sub.post_time, sub.zone, sub.created_by) == (
        "09:00",
        "Europe/Amsterdam",
        "ada (web:ada)",
    )
    _, again = await console.page("/subscriptions")
    assert 'role="status"' not in again  # a message is shown once


async def test_bad_input_gets_the_chat_commands_own_words(console: Console) -> None:
    await console.log_in()
    for field, bad in (("time", "9am"), ("timezone", "Mars/Olympus"), ("channel", "general")):
        await console.post("/subscriptions/wisdom", **{**WISDOM, field: bad})
        _, page = await console.page("/subscriptions")
        invocation = Invocation.of(
            "wisdom subscribe",
            **{"channel": CHANNEL, "time": "09:00", "timezone": "Europe/Amsterdam", field: bad},
        )
        chat = await console.core.run(
            invocation,
            Caller(frontend="discord", user="u1", place="G1", channel=CHANNEL, admin=True),
        )
        assert not chat.found
        assert flash(page) == re.sub(r"\s+", " ", f"{chat.title} {chat.text}").strip()
    assert await delivery_views.subscriptions(console.db) == []


async def test_an_unknown_platform_or_community_is_explained(console: Console) -> None:
    await console.log_in()
    await console.post("/subscriptions/wisdom", **{**WISDOM, "platform": "matrix"})
    assert "Pick a chat platform this bot is serving (running here: discord)" in flash(
        (await console.page("/subscriptions"))[1]
    )
    await console.post("/subscriptions/wisdom", **{**WISDOM, "community": "a b"})
    assert "Which server or workspace?" in flash((await console.page("/subscriptions"))[1])
    assert await delivery_views.subscriptions(console.db) == []


async def test_edit_disable_and_re_enable(console: Console) -> None:
    await console.log_in()
    await console.post("/subscriptions/wisdom", **WISDOM)
    (sub,) = await delivery_views.subscriptions(console.db)
    await console.post(f"/subscriptions/{sub.id}/edit", time="18:30", timezone="")
    edited = await delivery_views.subscription(console.db, sub.id)
    assert edited is not None and (edited.post_time, edited.zone) == ("18:30", "Europe/Amsterdam")

    await console.post(f"/subscriptions/{sub.id}/disable")
    assert "Daily wisdom unsubscribed" in flash((await console.page("/subscriptions"))[1])
    off = await delivery_views.subscription(console.db, sub.id)
    assert off is not None and not off.enabled

    _, page = await console.page("/deliveries")
    assert f"Re-enable subscription {sub.id}" in page
    await console.post(f"/subscriptions/{sub.id}/enable")
    on = await delivery_views.subscription(console.db, sub.id)
    assert on is not None and on.enabled and on.post_time == "18:30"
    _, page = await console.page("/deliveries")
    assert "No subscription is disabled." in page


async def test_programme_changes_are_subscribed_listed_and_disabled_one_by_one(
    console: Console,
) -> None:
    await console.log_in()
    _, page = await console.page("/subscriptions")
    assert 'action="/subscriptions/programme"' in page
    where = {"platform": "discord", "community": "G1", "channel": CHANNEL}
    await console.post("/subscriptions/programme", **where, room="Main", track="Data")
    _, page = await console.page("/subscriptions")
    assert flash(page) == "Programme changes Give a room or a track, not both."
    assert await delivery_views.subscriptions(console.db) == []

    await console.post("/subscriptions/programme", **where, conference="normconf-2022")
    _, page = await console.page("/subscriptions")
    assert flash(page).startswith("Programme changes subscribed From now on I will post")
    await console.post("/subscriptions/programme", **where, track="keynote")
    first, second = await delivery_views.subscriptions(console.db)
    assert (first.kind, first.conference, first.created_by) == (
        "programme",
        "normconf-2022",
        "ada (web:ada)",
    )
    assert (second.filter_kind, second.filter_value) == ("track", "keynote")
    _, page = await console.page("/subscriptions")
    assert "each change in normconf-2022" in page and "each change (track keynote)" in page

    await console.post(f"/subscriptions/{first.id}/disable")
    _, page = await console.page("/subscriptions")
    assert flash(page).startswith(f"Programme changes unsubscribed #{first.id}:")
    off, still_on = await delivery_views.subscriptions(console.db)
    assert not off.enabled and off.disabled_reason == "unsubscribed by ada (web:ada)"
    assert still_on.enabled  # the same channel's other subscription is left alone
    await console.post(f"/subscriptions/{first.id}/enable")
    assert all(sub.enabled for sub in await delivery_views.subscriptions(console.db))
    actions = [entry.action for entry in await audit_log.recent(console.db)]
    assert actions[:2] == ["/programme subscribe", "programme disabled"]


async def test_an_unknown_subscription_is_not_found(console: Console) -> None:
    await console.log_in()
    status, _, _ = await console.post("/subscriptions/999/disable")
    assert status == 404


async def test_deliveries_show_what_was_posted_what_failed_and_what_was_disabled(
    console: Console,
) -> None:
    await console.log_in()
    await console.post("/subscriptions/wisdom", **WISDOM)
    (sub,) = await delivery_views.subscriptions(console.db)
    services = console.core.delivery["discord"]
    assert services.wisdom is not None
    outcome = await services.wisdom.post_now(CHANNEL)
    assert outcome.kind == "sent"

    await console.post(
        "/subscriptions/wisdom", **{**WISDOM, "channel": "223456789012345678", "time": "10:00"}
    )
    console.poster.errors.append(PermanentSendError("Missing Access"))
    failed = await services.wisdom.post_now("223456789012345678")
    assert failed.kind != "sent"
    second = next(s for s in await delivery_views.subscriptions(console.db) if s.id != sub.id)
    await disable(console.db, second.id, "3 permanent failures", console.clock.now())

    _, page = await console.page("/deliveries")
    latest = page.split('id="recent"', 1)[1]
    assert CHANNEL in latest and "sent" in latest
    problems = page.split('id="problems"', 1)[1].split('id="recent"', 1)[0]
    assert "Missing Access" in problems
    disabled = page.split('id="disabled"', 1)[1].split('id="problems"', 1)[0]
    assert "3 permanent failures" in disabled and f"Re-enable subscription {second.id}" in disabled


async def test_the_nugget_pool_is_searched(console: Console) -> None:
    await console.log_in()
    _, everything = await console.page("/nuggets")
    assert "The first nuggets" in everything
    _, found = await console.page("/nuggets?q=crontab")
    assert "Nuggets matching “crontab”" in found and found.count("<q>") >= 1
    _, nothing = await console.page("/nuggets?q=zzzzqqqq")
    assert "No nugget matches" in nothing
    assert "Nothing waits for review." in nothing
    for odd in ("0", "²", "9" * 5000, "-1"):
        status, _ = await console.page(f"/nuggets?page={odd}")
        assert status == 200, odd


async def submitted(console: Console, text: str = WORDS, **where: str) -> int:
    """A nugget submitted as /nugget submit on Discord would, through the one queue."""
    by = Submitter("discord", "42", "grace (42)", where.pop("link", None))
    queue = NuggetQueue(console.db, console.core.lookup, console.clock)
    return (await queue.submit(text, by=by, **where)).submission.id


async def test_the_review_queue_shows_each_submission_and_approves_it(console: Console) -> None:
    link = "https://discord.com/channels/1/2/3"
    first = await submitted(console, talk=FAIRYTALE, speaker="Vicki Boykis", link=link)
    await console.log_in()
    _, page = await console.page("/nuggets")
    shown = page.split('id="queue"', 1)[1]
    for expected in (WORDS, "Vicki Boykis", "An ML Fairytale", "grace (42)", link, "2019-08-22"):
        assert expected in shown, expected
    assert "found in the talk&#39;s transcript" in shown
    assert f'action="/nuggets/review/{first}/approve"' in shown

    status, location, _ = await console.post(f"/nuggets/review/{first}/approve")
    assert status == 303 and location.startswith("/nuggets")
    _, page = await console.page("/nuggets")
    assert flash(page).startswith(f"Approved #{first}") and "Nothing waits for review." in page
    queue = NuggetQueue(console.db, console.core.lookup, console.clock)
    (pooled,) = await queue.search_pool("United States orders")
    assert pooled.text == WORDS and pooled.source.startswith("Community submission")
    assert (await queue.item(first)).submission.reviewed_by == "ada (web:ada)"
    (entry, *_) = await audit_log.recent(console.db)
    assert entry.user == "ada" and entry.action == "nugget approve"

    await console.post(f"/nuggets/review/{first}/reject")
    _, page = await console.page("/nuggets")
    assert flash(page) == f"Nugget #{first} Nugget #{first} was already approved by ada (web:ada)."
    assert (await queue.item(first)).submission.status == "approved"


async def test_a_submission_is_edited_refused_and_rejected_with_the_queues_words(
    console: Console,
) -> None:
    second = await submitted(console, text="Counting is most of the real work here.")
    await console.log_in()
    await console.post(f"/nuggets/review/{second}/approve")
    _, page = await console.page("/nuggets")
    assert f"Nugget #{second} has no talk yet: edit it and name one." in flash(page)

    form = {"text": "Counting is most of the work.", "speaker": "Nobody Atall", "talk": FAIRYTALE}
    await console.post(f"/nuggets/review/{second}/edit", **form)
    _, page = await console.page("/nuggets")
    assert "No speaker is called “Nobody Atall”" in flash(page)
    queue = NuggetQueue(console.db, console.core.lookup, console.clock)
    kept = (await queue.item(second)).submission
    assert kept.text == "Counting is most of the real work here." and kept.talk is None

    await console.post(f"/nuggets/review/{second}/edit", **{**form, "speaker": "Vicki Boykis"})
    _, page = await console.page("/nuggets")
    assert flash(page).startswith(f"Edited #{second}")
    edited = (await queue.item(second)).submission
    assert edited.text == form["text"] and edited.speaker == "Vicki Boykis"
    assert edited.talk is not None and edited.talk.ref == FAIRYTALE
    assert 'value="Vicki Boykis"' in page and f'value="{FAIRYTALE}"' in page

    await console.post(f"/nuggets/review/{second}/reject")
    _, page = await console.page("/nuggets")
    assert flash(page).startswith(f"Rejected #{second}")
    assert (await queue.item(second)).submission.status == "rejected"
    assert await queue.search_pool("Counting is most of the work") == []
    await console.post("/nuggets/review/999/approve")
    _, page = await console.page("/nuggets")
    assert flash(page) == "Nugget #999 There is no submitted nugget #999."
    actions = [entry.action for entry in await audit_log.recent(console.db)][1:]
    assert actions[:4] == [
        "nugget reject",
        "nugget edit",
        "nugget edit refused",
        "nugget approve refused",
    ]


async def test_a_public_talk_page_has_its_nuggets_and_timed_transcript(console: Console) -> None:
    cues = [
        Cue(start_ms=5_000, end_ms=9_000, text="Welcome to <the> fairytale."),
        Cue(start_ms=3_725_000, end_ms=3_730_000, text="And they lived happily."),
    ]
    await attach_transcript(
        console.db, "normconf-2022/an-ml-fairytale", cues, cues_to_text(cues), "test captions"
    )
    status, page = await console.page("/public/normconf-2022/talk/an-ml-fairytale")
    assert status == 200 and "<h1>" in page
    assert "Nuggets of wisdom" in page and page.count("<blockquote>") >= 1
    assert "<time>0:05</time> Welcome to &lt;the&gt; fairytale." in page
    assert "<time>1:02:05</time> And they lived happily." in page
    assert "test captions" in page
    status, _ = await console.page("/public/normconf-2022/talk/no-such-talk")
    assert status == 404
