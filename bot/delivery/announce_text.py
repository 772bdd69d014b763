"""What a change announcement says: one line per changed talk, the headings of the kinds, the
`Answer` a poster renders, and a size bound that holds on every platform.

"Moved: **Keynote** Wed 10:00 → 10:30, Saal 1"; "Cancelled: **Lightning talks** (was Wed
14:00, Saal 2)". Talk titles are search highlights, so Discord and Slack show them in bold
after escaping everything else; all text is data, escaped by each renderer, so a title with
@everyone never pings. Times are shown as the export gave them (the conference's local
time). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.answer import HIGHLIGHT_END, HIGHLIGHT_START, Answer, Field
from bot.store.changes import CHANGE_KINDS, TalkChange, TalkSnapshot

if TYPE_CHECKING:
    from bot.delivery.announce_plan import AnnouncementPost

HEADINGS = {
    "moved": "Moved",
    "cancelled": "Cancelled",
    "new": "New",
    "room": "Room changed",
    "title": "Retitled",
    "speakers": "Speakers changed",
}
assert set(HEADINGS) == set(CHANGE_KINDS)
CONTINUED = " (continued)"
PART_MAX = 250
"""The size bound (see `bound`) of one title, room or speaker list inside a line."""
TITLE_MAX = 150
"""Slack's header block holds 150 characters (Discord's embed title 256)."""
ELLIPSIS = "…"
ARROW = " → "


def bound(text: str) -> int:
    """An upper bound of `text`'s length once any front end has escaped it: Slack writes
    & < > as entities (5 and 4 characters), Discord puts a backslash before markdown and a
    zero-width space after @, a highlight marker becomes ** at most; a character outside
    the Basic Multilingual Plane may count twice."""
    total = 0
    for char in text:
        if char == "&":
            total += 5
        elif char in "<>":
            total += 4
        elif char.isalnum() or char in " \n":
            total += 2 if ord(char) > 0xFFFF else 1
        else:
            total += 2
    return total


def clip(text: str, limit: int = PART_MAX) -> str:
    """`text` cut (with an ellipsis) so that its `bound` is at most `limit`."""
    if bound(text) <= limit:
        return text
    kept, used = [], bound(ELLIPSIS)
    for char in text:
        used += bound(char)
        if used > limit:
            break
        kept.append(char)
    return "".join(kept).rstrip() + ELLIPSIS


def _title(text: str) -> str:
    return f"{HIGHLIGHT_START}{clip(text)}{HIGHLIGHT_END}"


def _when(moment: datetime | None, since: datetime | None = None) -> str:
    """'Wed 10:00'; only '10:30' when it is on the same day as `since`."""
    if moment is None:
        return "no time"
    if since is not None and since.date() == moment.date():
        return f"{moment:%H:%M}"
    return f"{moment:%a %H:%M}"


def _room(snapshot: TalkSnapshot | None) -> str:
    return clip(snapshot.room) if snapshot is not None and snapshot.room else ""


def _speakers(snapshot: TalkSnapshot | None) -> str:
    names = ", ".join(snapshot.speakers) if snapshot is not None else ""
    return clip(names) if names else "nobody named"


def change_line(change: TalkChange) -> str:
    """The line of one change, under its kind's heading."""
    old, new = change.old, change.new
    shown = new or old
    assert shown is not None
    room = _room(shown)
    at = f", {room}" if room else ""
    if change.kind == "moved" and old is not None and new is not None:
        moved = f"{_when(old.starts_at)}{ARROW}{_when(new.starts_at, old.starts_at)}"
        if old.room != new.room:  # moved to another room too: said here, not again
            at = f", {_room(old) or 'no room'}{ARROW}{_room(new) or 'no room'}"
        return f"{_title(new.title)} {moved}{at}"
    if change.kind == "cancelled":
        return f"{_title(shown.title)} (was {_when(shown.starts_at)}{at})"
    if change.kind == "room" and old is not None and new is not None:
        before = _room(old) or "no room"
        return (
            f"{_title(new.title)} {_when(new.starts_at)}: {before}{ARROW}{_room(new) or 'no room'}"
        )
    if change.kind == "title" and old is not None and new is not None:
        return f"{_title(old.title)} is now {_title(new.title)} ({_when(new.starts_at)}{at})"
    if change.kind == "speakers" and old is not None and new is not None:
        return f"{_title(new.title)}: {_speakers(old)}{ARROW}{_speakers(new)}"
    speakers = f" with {_speakers(shown)}" if shown.speakers else ""
    return f"{_title(shown.title)} {_when(shown.starts_at)}{at}{speakers}"


def sort_key(change: TalkChange) -> tuple[int, str, str, str]:
    """Changes in CHANGE_KINDS order, then by (new, else old) start, then title."""
    shown = change.new or change.old
    assert shown is not None
    start = shown.starts_at.isoformat() if shown.starts_at else "~"
    return (CHANGE_KINDS.index(change.kind), start, shown.title.casefold(), change.talk_key)


def announcement_title(conference_names: Sequence[str]) -> str:
    names = ", ".join(conference_names)
    return clip(f"Programme changes: {names}" if names else "Programme changes", TITLE_MAX)


def announcement_answer(post: AnnouncementPost) -> Answer:
    """The message of one announcement post (a batch, or one part of it). Its text names the
    update and the part, so no two posts look alike (Discord's lookup after a crash also
    recognises a post by its embed)."""
    part = f", part {post.part} of {post.parts}" if post.parts > 1 else ""
    return Answer(
        kind="programme",
        title=post.title,
        text=f"Programme update #{post.batch_id}{part}.",
        fields=tuple(Field(heading, "\n".join(lines)) for heading, lines in post.groups),
        meta={"idempotency_key": post.idempotency_key},
    )
