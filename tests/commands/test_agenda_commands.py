"""/follow, /unfollow and /agenda on the console and for a chat caller: follows are private
and per person, the lead time is bounded, the "Remind me" button follows the talk, the
calendar link can be replaced, and forget-me says what it deleted."""

from __future__ import annotations

from bot.answer import strip_highlights
from bot.commands.registry import Caller
from bot.core import Core
from bot.frontends.console import render_text

ADA = Caller("discord", "111", "42", "7")
BOB = Caller("discord", "222", "42", "7")


async def test_follow_a_talk_and_see_it_on_the_console_agenda(walk_core: Core) -> None:
    followed = await walk_core.ask("/follow talk Data talk 2 in Hall A")
    assert followed.ephemeral and followed.title == "Following"
    assert "10 minutes before" in followed.text
    shown = render_text(await walk_core.ask("/agenda today"))
    assert "Data talk 2 in Hall A" in shown
    assert "11:00 UTC" in shown  # the console shows the conference's zone
    again = await walk_core.ask("/follow talk Data talk 2 in Hall A")
    assert again.title == "Already following"


async def test_follows_are_visible_only_to_their_owner(walk_core: Core) -> None:
    await walk_core.ask("/follow room Hall B", ADA)
    mine = await walk_core.ask("/agenda all", ADA)
    assert mine.ephemeral and "Data talk 3 in Hall B" in mine.text
    theirs = await walk_core.ask("/agenda all", BOB)
    assert theirs.title == "Your agenda is empty"


async def test_speaker_follow_and_unfollow(walk_core: Core) -> None:
    answer = await walk_core.ask("/follow speaker speaker 3", ADA)
    assert answer.title == "Following" and "Speaker 3" in answer.text
    assert "also ones added later" in answer.text
    dropped = await walk_core.ask("/unfollow speaker speaker 3", ADA)
    assert dropped.title == "Unfollowed"
    missing = await walk_core.ask("/unfollow speaker speaker 3", ADA)
    assert not missing.found


async def test_unknown_names_are_answered_briefly_and_nothing_is_stored(walk_core: Core) -> None:
    answer = await walk_core.ask("/follow track keynotes", ADA)
    assert not answer.found and "keynotes" in answer.text
    assert (await walk_core.ask("/agenda all", ADA)).title == "Your agenda is empty"


async def test_the_lead_time_is_bounded(walk_core: Core) -> None:
    for bad in ("0", "121", "ten"):
        refused = await walk_core.ask(f"/agenda minutes {bad}", ADA)
        assert not refused.found and "1 to 120" in refused.text, bad
    answer = await walk_core.ask("/agenda minutes 25", ADA)
    assert "25 minutes" in answer.text
    await walk_core.ask("/follow room Hall A", ADA)
    shown = await walk_core.ask("/agenda all", ADA)
    assert "25 minutes" in " ".join(f.value for f in shown.fields)


async def test_the_remind_me_button_follows_the_talk(walk_core: Core) -> None:
    talk = await walk_core.ask("/talk Data talk 3 in Hall A", ADA)
    [remind] = [a for a in talk.actions if a.label == "Remind me"]
    assert remind.invocation is not None and remind.invocation.command == "follow talk"
    answer = await walk_core.run(remind.invocation, ADA)
    assert answer.title == "Following" and "Data talk 3 in Hall A" in answer.text


async def test_calendar_link_and_reset(walk_core: Core) -> None:
    walk_core.calendar_base = "https://bot.example.org/"
    first = strip_highlights((await walk_core.ask("/agenda calendar", ADA)).text)
    assert "https://bot.example.org/agenda/calendar/" in first
    same = strip_highlights((await walk_core.ask("/agenda calendar", ADA)).text)
    reset = strip_highlights((await walk_core.ask("/agenda calendar reset", ADA)).text)
    link = [w for w in first.split() if w.startswith("https://")]
    assert link and link[0] in same and link[0] not in reset
    bad = await walk_core.ask("/agenda calendar delete", ADA)
    assert not bad.found


async def test_forget_me_says_so(walk_core: Core) -> None:
    await walk_core.ask("/follow room Hall A", ADA)
    gone = await walk_core.ask("/agenda forget-me", ADA)
    assert gone.title == "Forgotten" and "deleted everything" in gone.text
    assert (await walk_core.ask("/agenda forget-me", ADA)).title == "Nothing to forget"
    assert (await walk_core.ask("/agenda all", ADA)).title == "Your agenda is empty"
