"""What a post loop run of the personal agenda reads: the followers of the talks soon (only
those still to be sent to), the followers of changed talks, the longest lead time anyone has,
and the delivery rows the engine needs (migration 13's tables; the rules are in
`bot.delivery.agenda_plan`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.reminders import ReminderTalk
from bot.store.agenda import (
    DEFAULT_MINUTES,
    Follow,
    Person,
    follow_of_row,
    person_of_row,
    rows_in,
)
from bot.store.db import Database
from bot.store.deliveries import placeholders


async def follows_matching(
    db: Database, frontend: str, wanted: Mapping[str, Sequence[str]]
) -> tuple[list[Follow], list[Person]]:
    """The follows, by people of `frontend` whose DMs are on, of any of the `wanted` values
    by kind ({'talk': keys, 'speaker': folded names, 'track': [...], 'room': [...]}), and
    those people: what the planner needs for the talks that are soon, read through the
    (kind, value) index in one query a kind."""
    rows: list[Any] = []
    for kind, values in wanted.items():
        rows += await rows_in(
            db,
            f"SELECT {_FOLLOWER_COLUMNS} "
            "FROM agenda_follows f JOIN subscriptions s ON s.id = f.subscription_id "
            "WHERE s.frontend = ? AND s.enabled = 1 AND f.kind = ? AND f.value IN ({in})",
            values,
            frontend,
            kind,
        )
    return _followers(rows)


async def talk_followers(
    db: Database,
    frontend: str,
    talk: ReminderTalk,
    key: str,
    min_lead: int,
) -> tuple[list[Follow], list[Person]]:
    """The follows that take in `talk` (by its key or ref, a speaker's folded name, its room
    or track) of people of `frontend` with DMs on, a lead time of at least `min_lead` minutes
    and no delivery row under `key` yet: only those a run may have to send to now, so a run
    after the DMs went out reads next to nothing."""
    speakers = sorted({" ".join(name.split()).casefold() for name in talk.speakers})
    terms = ["(f.kind = 'talk' AND f.value IN (?, ?))"]
    params: list[object] = [frontend, min_lead, talk.key, talk.ref]
    if speakers:
        terms.append(f"(f.kind = 'speaker' AND f.value IN ({placeholders(len(speakers))}))")
        params += speakers
    for kind, name in (("room", talk.room), ("track", talk.track)):
        if name:
            terms.append(f"(f.kind = '{kind}' AND f.value = ?)")
            params.append(name)
    rows = await db.fetch_all(
        f"""
        SELECT {_FOLLOWER_COLUMNS}
        FROM agenda_follows f JOIN subscriptions s ON s.id = f.subscription_id
        WHERE s.frontend = ? AND s.enabled = 1 AND s.minutes_before >= ?
            AND ({" OR ".join(terms)})
            AND NOT EXISTS (SELECT 1 FROM deliveries d
                            WHERE d.subscription_id = f.subscription_id AND d.key = ?)
        """,
        (*params, key),
    )
    return _followers(rows)


_FOLLOWER_COLUMNS = (
    "f.*, s.id, s.frontend, s.channel_id, s.minutes_before, s.enabled, s.disabled_reason, "
    "0 AS notice_pending, NULL AS calendar_token"
)


def _followers(rows: Iterable[Any]) -> tuple[list[Follow], list[Person]]:
    follows: list[Follow] = []
    people: dict[int, Person] = {}
    for row in rows:
        follows.append(follow_of_row(row))
        if row["id"] not in people:
            people[row["id"]] = person_of_row(row)
    return follows, list(people.values())


async def longest_lead(db: Database, frontend: str) -> int:
    """The longest lead time of anyone on the front end whose DMs are on (minutes)."""
    row = await db.fetch_one(
        "SELECT max(minutes_before) FROM subscriptions "
        "WHERE kind = 'agenda' AND frontend = ? AND enabled = 1",
        (frontend,),
    )
    return int(row[0]) if row is not None and row[0] is not None else DEFAULT_MINUTES


async def log_rows(db: Database, frontend: str, keys: Sequence[str]) -> list[dict[str, Any]]:
    """The agenda delivery rows of the front end a run needs: every open claim, and every row
    under one of `keys` (the keys the planner may say are due now)."""
    rows = await db.fetch_all(
        "SELECT d.* FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id "
        "WHERE s.kind = 'agenda' AND s.frontend = ? AND d.status = 'claimed'",
        (frontend,),
    )
    rows = [
        *rows,
        *await rows_in(
            db,
            "SELECT d.* FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id "
            "WHERE s.kind = 'agenda' AND s.frontend = ? AND d.key IN ({in})",
            keys,
            frontend,
        ),
    ]
    out = {(int(row["subscription_id"]), str(row["key"])): dict(row) for row in rows}
    return [out[key] for key in sorted(out)]
