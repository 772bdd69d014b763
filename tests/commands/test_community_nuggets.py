"""Community nuggets through the command core (as the console and every front end ask):
submit, the review queue's answers, approval into /nugget, the limits and the refusals."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.answer import Answer
from bot.commands.invocation import Invocation, Stash
from bot.commands.nugget_queue import NuggetQueue, QueueError, Submitter
from bot.commands.registry import Caller, Message
from bot.core import Core
from bot.frontends.discord.components import render
from bot.frontends.slack.blocks import answer_message
from bot.nugget_rules import MAX_PER_HOUR
from bot.records import Cue
from bot.store.content import attach_transcript
from bot.store.db import Database
from tests.fakes.clock import FakeClock

T0 = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
ADA = Caller("discord", "42", "G1", "C1", name="ada")
ADMIN = Caller("discord", "1", "G1", "C1", admin=True, name="root")
FAIRYTALE = "normconf-2022/an-ml-fairytale"
QUOTE = "So she took all the orders that were placed in the United States."


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def core(bundled_db: Database, clock: FakeClock) -> Core:
    return Core(bundled_db, rng=random.Random(1), clock=clock)


def field(answer: Answer, name: str) -> str:
    return next(f.value for f in answer.fields if f.name == name)


async def submit(core: Core, words: str = QUOTE, caller: Caller = ADA, **more: str) -> Answer:
    return await core.run(Invocation.of("nugget submit", text=words, **more), caller)


async def test_a_submission_is_queued_privately_and_reaches_nugget_only_once_approved(
    core: Core,
) -> None:
    queued = await submit(core, talk=FAIRYTALE, speaker="vicki")
    assert queued.title == "Queued for review" and queued.ephemeral
    assert "queued for review" in queued.text
    assert field(queued, "Said by") == "Vicki Boykis"  # the known speaker's name
    assert field(queued, "Talk") == "An ML Fairytale"
    for _ in range(30):
        answer = await core.run(Invocation.of("nugget random", talk=FAIRYTALE))
        assert "United States" not in answer.text

    review = await core.run(Invocation("nugget review"), ADMIN)
    assert review.title == "Nugget #1 (pending)" and review.ephemeral
    assert [a.label for a in review.actions] == ["Approve", "Edit", "Reject"]
    assert field(review, "Transcript") == "found in the talk's transcript"
    assert "ada (42) on discord" in field(review, "Submitted")
    edit = review.actions[1]
    assert dict(edit.form) == {"text": QUOTE, "speaker": "Vicki Boykis", "talk": FAIRYTALE}

    approved = await core.run(review.actions[0].invocation or Invocation(""), ADMIN)
    assert approved.text.startswith("Approved #1") and "Nothing is waiting" in approved.text
    seen = {
        (await core.run(Invocation.of("nugget random", talk=FAIRYTALE))).text for _ in range(60)
    }
    assert f"“{QUOTE}”" in seen


async def test_only_admins_review(core: Core) -> None:
    await submit(core)
    for line in ("/nugget review", "/nugget approve 1", "/nugget reject 1", "/nugget edit 1 x"):
        refused = await core.ask(line, ADA)
        assert refused.title == "Not allowed", line
    assert (await core.ask("/nugget review", ADMIN)).title == "Nugget #1 (pending)"


async def test_the_text_line_takes_words_talk_and_speaker_between_bars(core: Core) -> None:
    queued = await core.ask(f"/nugget submit {QUOTE} | An ML Fairytale | Vicki Boykis", ADA)
    assert (field(queued, "Talk"), field(queued, "Said by")) == ("An ML Fairytale", "Vicki Boykis")
    typed = await core.ask("/nugget submit Counting is most of the real work here.", ADA)
    assert typed.title == "Queued for review" and field(typed, "Said by") == "unattributed"
    assert (await core.ask("/nugget crontab")).kind == "nugget"  # /nugget WORDS still works


async def test_an_editor_sets_the_talk_and_a_rejected_nugget_stays_out(core: Core) -> None:
    await core.message_action(
        "Save as nugget",
        Message("Counting is most of the real work here.", "https://discord.com/channels/1/2/3"),
        ADA,
    )
    no_talk = await core.ask("/nugget approve 1", ADMIN)
    assert "has no talk yet" in no_talk.text
    edited = await core.run(
        Invocation.of("nugget edit", id=1, talk=FAIRYTALE, speaker="Vicki Boykis"), ADMIN
    )
    assert edited.text.startswith("Edited #1") and field(edited, "Talk").startswith("An ML")
    assert field(edited, "Where") == "https://discord.com/channels/1/2/3"
    assert "not found" in field(edited, "Transcript")
    await submit(core)
    rejected = await core.ask("/nugget reject 1", ADMIN)
    assert rejected.text.startswith("Rejected #1") and rejected.title == "Nugget #2 (pending)"
    again = await core.ask("/nugget approve 1", ADMIN)
    assert "already rejected by root (1)" in again.text


async def test_duplicates_of_the_pool_and_the_queue_are_refused_with_the_words(core: Core) -> None:
    pool = await submit(core, "Airflow is, um, basically FANCY crontab!")
    assert pool.title == "Not queued" and "already in the pool" in pool.text
    assert "Airflow is, um, basically FANCY crontab!" in pool.text  # nothing is lost
    await submit(core)
    queued = await submit(core, QUOTE.upper().replace(".", "!"), Caller("slack", "U9", "T1"))
    assert "waiting for review" in queued.text


async def test_bad_talks_speakers_and_lengths_get_one_clear_line(core: Core) -> None:
    unknown = await submit(core, talk="zzzz qqqq")
    assert unknown.title == "Not queued" and "No talk matches" in unknown.text
    assert QUOTE in unknown.text
    nobody = await submit(core, speaker="Qwertz Uiop")
    assert "No speaker is called" in nobody.text
    short = await submit(core, "Hi")
    assert "at least" in short.text
    long = await core.run(Invocation.of("nugget submit", text="word " * 200), ADA)
    assert long.kind == "usage" and "at most 500" in long.text


async def test_each_user_may_submit_ten_an_hour(core: Core, clock: FakeClock) -> None:
    for n in range(MAX_PER_HOUR):
        assert (await submit(core, f"Distinct quote number {n} for the limit.")).found
    refused = await submit(core, "One more quote beyond the hourly limit.")
    assert not refused.found and "try again later" in refused.text
    other = await submit(core, "Another user's quote is fine.", Caller("discord", "43"))
    assert other.found
    clock.advance(timedelta(hours=1, seconds=1))
    assert (await submit(core, "One more quote beyond the hourly limit.")).found


async def test_everyone_in_a_nugget_never_pings_now_or_later(core: Core) -> None:
    words = "@everyone <@123> the data is the product, not the model."
    queued = await submit(core, words, talk=FAIRYTALE)
    await core.ask("/nugget approve 1", ADMIN)
    later = [await core.run(Invocation.of("nugget random", talk=FAIRYTALE)) for _ in range(60)]
    quoted = next(a for a in later if "@everyone" in a.text)
    for answer in (queued, quoted):
        rendered = render(answer, Stash())
        assert rendered.embed is not None
        slack = json.dumps(answer_message(answer))
        assert "<!everyone>" not in slack and "<@123>" not in slack


async def test_the_review_says_when_a_timed_transcript_has_the_words(core: Core) -> None:
    cues = [
        Cue(0, 4000, "Welcome."),
        Cue(90_000, 95_000, "Counting is, uh, most of"),
        Cue(95_000, 99_000, "the real work here."),
    ]
    await attach_transcript(core.db, FAIRYTALE, cues, "Welcome. Counting ...", "test")
    await submit(core, "Counting is most of the real work here.", talk=FAIRYTALE)
    review = await core.ask("/nugget review", ADMIN)
    assert field(review, "Transcript") == "found in the transcript at 1:30"


async def test_the_queue_lists_pages_and_searches_the_pool(core: Core, clock: FakeClock) -> None:
    queue = NuggetQueue(core.db, core.lookup, clock)
    for n in range(7):
        await queue.submit(f"Queued words number {n} here.", by=Submitter("slack", f"U{n}", "u"))
    first, last = await queue.pending(1, size=5), await queue.pending(9, size=5)
    assert (first.total, first.pages, len(first.items), last.page, len(last.items)) == (
        7,
        2,
        5,
        2,
        2,
    )
    hits = await queue.search_pool("crontab")
    assert hits and all("crontab" in hit.text.lower() for hit in hits)
    with pytest.raises(QueueError, match="no submitted nugget #99"):
        await queue.approve(99, by="x")
