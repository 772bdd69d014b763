"""The pure announcement planner: what is due for whom, grouped by kind, filtered by room or
track, split within every platform limit under stable keys, in batch order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.answer import HIGHLIGHT_END, HIGHLIGHT_START
from bot.delivery.announce_plan import (
    FIELD_BUDGET,
    FIELDS_MAX,
    MESSAGE_BUDGET,
    WINDOW,
    AnnouncementPost,
    dump_post,
    load_post,
    plan,
)
from bot.delivery.announce_text import announcement_answer, bound, change_line
from bot.delivery.model import NONCE_MAX_LENGTH
from bot.frontends.discord.embeds import answer_embed
from bot.frontends.slack.blocks import MAX_BLOCKS, MAX_SECTION_TEXT, answer_blocks
from bot.store.changes import ProgrammeChange, TalkSnapshot
from bot.store.programme_subscriptions import ProgrammeSubscription

BERLIN = ZoneInfo("Europe/Berlin")
FOUND = datetime(2019, 8, 21, 8, 0, tzinfo=UTC)
NOW = FOUND + timedelta(minutes=1)
TEN = datetime(2019, 8, 21, 10, 0, tzinfo=BERLIN)
NAMES = {"camp2019": "Chaos Communication Camp 2019", "other": "Other Con"}


def snapshot(
    title: str,
    at: datetime = TEN,
    room: str = "Saal 1",
    speakers: tuple[str, ...] = ("Ada",),
    track: str | None = "Hardware",
) -> TalkSnapshot:
    return TalkSnapshot(title, at, at + timedelta(minutes=30), room, speakers, track)


def change(
    kind: str,
    old: TalkSnapshot | None,
    new: TalkSnapshot | None,
    *,
    batch: int = 3,
    key: str = "",
    conference: str = "camp2019",
) -> ProgrammeChange:
    shown = new or old
    assert shown is not None
    return ProgrammeChange(conference, key or shown.title, kind, old, new, batch, FOUND)


def subscription(
    sub_id: int = 1,
    *,
    conference: str | None = "camp2019",
    kind: str = "all",
    value: str = "",
    since: int = 0,
    frontend: str = "discord",
) -> ProgrammeSubscription:
    return ProgrammeSubscription(
        sub_id, frontend, "g1", f"c{sub_id}", conference, kind, value, since, "admin"
    )


def bold(title: str) -> str:
    return f"{HIGHLIGHT_START}{title}{HIGHLIGHT_END}"


def test_one_batch_is_one_message_grouped_by_kind_in_order() -> None:
    keynote = snapshot("Keynote")
    changes = [
        change("new", None, snapshot("Fresh talk", TEN + timedelta(hours=5), "Saal 3")),
        change("cancelled", snapshot("Lightning talks", TEN + timedelta(hours=4)), None),
        change("moved", keynote, snapshot("Keynote", TEN + timedelta(minutes=30))),
        change("room", snapshot("Workshop"), snapshot("Workshop", room="Saal 2")),
        change("title", snapshot("Old name"), snapshot("New name")),
        change("speakers", snapshot("Panel"), snapshot("Panel", speakers=("Ada", "Grace"))),
    ]
    (due,) = plan([subscription()], changes, {}, NAMES, NOW)
    post = due.post
    assert (due.key, due.due, due.deadline) == ("batch-0000000003-001", FOUND, FOUND + WINDOW)
    assert post.title == "Programme changes: Chaos Communication Camp 2019"
    assert [heading for heading, _ in post.groups] == [
        "Moved",
        "Cancelled",
        "New",
        "Room changed",
        "Retitled",
        "Speakers changed",
    ]
    lines = dict(post.groups)
    assert lines["Moved"] == (f"{bold('Keynote')} Wed 10:00 → 10:30, Saal 1",)
    assert lines["Cancelled"] == (f"{bold('Lightning talks')} (was Wed 14:00, Saal 1)",)
    assert lines["New"] == (f"{bold('Fresh talk')} Wed 15:00, Saal 3 with Ada",)
    assert lines["Room changed"] == (f"{bold('Workshop')} Wed 10:00: Saal 1 → Saal 2",)
    assert lines["Retitled"] == (
        f"{bold('Old name')} is now {bold('New name')} (Wed 10:00, Saal 1)",
    )
    assert lines["Speakers changed"] == (f"{bold('Panel')}: Ada → Ada, Grace",)
    answer = announcement_answer(post)
    assert [f.name for f in answer.fields] == [h for h, _ in post.groups]
    assert answer.meta["idempotency_key"] == post.idempotency_key == "pc1-3-1"


def test_a_move_to_another_day_names_both_days_and_lines_sort_by_start() -> None:
    late = change("moved", snapshot("B late"), snapshot("B late", TEN + timedelta(days=1)))
    early = change("moved", snapshot("A early", TEN + timedelta(hours=2)), snapshot("A early", TEN))
    (due,) = plan([subscription()], [late, early], {}, NAMES, NOW)
    assert due.post.groups == (
        (
            "Moved",
            (
                f"{bold('A early')} Wed 12:00 → 10:00, Saal 1",
                f"{bold('B late')} Wed 10:00 → Thu 10:00, Saal 1",
            ),
        ),
    )


def test_a_room_or_track_filter_keeps_changes_on_either_side_and_conference() -> None:
    changes = [
        change("room", snapshot("Into curie", room="Main"), snapshot("Into curie", room="Curie")),
        change("cancelled", snapshot("Gone from curie", room="CURIE hall"), None),
        change("moved", snapshot("Elsewhere", room="Main"), snapshot("Elsewhere", TEN, "Main")),
        change("new", None, snapshot("Art", track="Art & Beauty")),
        change("new", None, snapshot("Other con in curie", room="Curie"), conference="other"),
    ]
    subs = [
        subscription(1, kind="room", value="curie"),
        subscription(2, kind="track", value="art"),
        subscription(3, kind="track", value="nothing"),
        subscription(4, conference=None, kind="room", value="curie"),
    ]
    due = plan(subs, changes, {}, NAMES, NOW)
    titled = {
        d.subscription_id: sorted(line for _, lines in d.post.groups for line in lines) for d in due
    }
    assert set(titled) == {1, 2, 4}  # a filter that keeps nothing makes no post
    assert [line.split(HIGHLIGHT_END)[0][1:] for line in titled[1]] == [
        "Gone from curie",
        "Into curie",
    ]
    assert len(titled[2]) == 1 and "Art" in titled[2][0]
    assert len(titled[4]) == 3  # every conference: the other con's talk too
    assert next(d for d in due if d.subscription_id == 4).post.title == (
        "Programme changes: Chaos Communication Camp 2019, Other Con"
    )


def test_old_batches_served_batches_and_stale_news_make_no_post() -> None:
    changes = [
        change("new", None, snapshot("In batch 2"), batch=2),
        change("new", None, snapshot("In batch 3"), batch=3),
        change("new", None, snapshot("In batch 4"), batch=4),
    ]
    subs = [subscription(1, since=2), subscription(2), subscription(3, since=4)]
    due = plan(subs, changes, {2: 3}, NAMES, NOW)
    assert [(d.subscription_id, d.key) for d in due] == [
        (1, "batch-0000000003-001"),  # batches in order, then subscriptions
        (1, "batch-0000000004-001"),
        (2, "batch-0000000004-001"),
    ]
    assert plan(subs, changes, {}, NAMES, FOUND + WINDOW) == []
    disabled = ProgrammeSubscription(9, "slack", "T", "C", None, "all", "", 0, "a", enabled=False)
    assert plan([disabled], changes, {}, NAMES, NOW) == []


def test_a_batch_found_on_a_later_clock_is_due_now() -> None:
    """`confbot import` by hand on the real clock while the bot rehearses in 2019."""
    (due,) = plan(
        [subscription()], [change("new", None, snapshot("T"))], {}, NAMES, FOUND - timedelta(days=3)
    )
    assert due.due == FOUND - timedelta(days=3)
    assert due.deadline == due.due + WINDOW


def many_changes(
    count: int, title: str = "A talk about & < > @everyone *bold* "
) -> list[ProgrammeChange]:
    return [
        change(
            "moved" if n % 3 else "cancelled",
            snapshot(f"{title}{n:04d}", TEN + timedelta(minutes=n)),
            snapshot(f"{title}{n:04d}", TEN + timedelta(minutes=n + 30)) if n % 3 else None,
            key=f"talk-{n}",
        )
        for n in range(count)
    ]


def test_a_big_batch_is_split_within_every_limit_under_stable_keys() -> None:
    changes = many_changes(400)
    due = plan([subscription()], changes, {}, NAMES, NOW)
    assert len(due) > 2
    assert [d.key for d in due] == [f"batch-0000000003-{n:03d}" for n in range(1, len(due) + 1)]
    assert all(d.post.parts == len(due) for d in due)
    assert len({d.post.idempotency_key for d in due}) == len(due)
    # Every line once, in order, across the parts.
    lines = [line for d in due for _, group in d.post.groups for line in group]
    assert sorted(lines) == sorted(change_line(c) for c in changes)
    for d in due:
        groups = d.post.groups
        assert len(groups) <= FIELDS_MAX
        assert all(bound("\n".join(group)) <= FIELD_BUDGET for _, group in groups)
        assert sum(bound(h) + bound("\n".join(g)) for h, g in groups) <= MESSAGE_BUDGET
        answer = announcement_answer(d.post)
        embed = answer_embed(answer)
        assert len(embed) <= 6000 and len(embed.fields) == len(groups)
        assert all(len(f.value or "") <= 1024 and "…" not in (f.value or "") for f in embed.fields)
        assert "@everyone" not in str(embed.to_dict())  # escaped: it never pings
        blocks = answer_blocks(answer)
        assert len(blocks) <= MAX_BLOCKS
        texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
        assert all(len(t) <= MAX_SECTION_TEXT and not t.endswith("…") for t in texts)
        assert "<!everyone>" not in str(blocks)
    assert [h for h, _ in due[0].post.groups][:2] == ["Moved", "Moved (continued)"]
    # The same inputs make the same split: keys and contents are stable across runs.
    again = plan([subscription()], list(reversed(changes)), {}, NAMES, NOW)
    assert [(d.key, d.post) for d in again] == [(d.key, d.post) for d in due]


def test_a_huge_title_is_cut_to_fit_and_the_snapshot_round_trips() -> None:
    giant = change("new", None, snapshot("&" * 5000, speakers=("x" * 3000,)))
    (due,) = plan([subscription()], [giant], {}, {"camp2019": "C" * 400}, NOW)
    ((heading, (line,)),) = due.post.groups
    assert heading == "New" and bound(line) <= FIELD_BUDGET and "…" in line
    assert len(due.post.title) <= 150
    restored = load_post(dump_post(due.post), attempted_at=NOW)
    assert restored == AnnouncementPost(**{**due.post.__dict__, "attempted_at": NOW})
    big = AnnouncementPost(10**12, "slack", "T", "C", FOUND, 10**12, 999, 999, "t", ())
    assert len(big.idempotency_key) <= NONCE_MAX_LENGTH


def test_a_talk_moved_to_another_room_is_one_moved_line_naming_both_rooms() -> None:
    old, new = snapshot("Keynote"), snapshot("Keynote", TEN + timedelta(hours=1), "Saal 2")
    changes = [change("room", old, new), change("moved", old, new)]
    (due,) = plan([subscription(kind="room", value="saal 2")], changes, {}, NAMES, NOW)
    assert due.post.groups == (
        ("Moved", (f"{bold('Keynote')} Wed 10:00 → 11:00, Saal 1 → Saal 2",)),
    )
