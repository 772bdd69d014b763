"""The web console's audit trail (migration 12): every action, when, by whom, from where.

Persistence only; `bot.frontends.web.auth.audit` writes each entry here and to the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.db import Database
from bot.store.web_auth import stamp


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    user: str
    action: str
    detail: str
    remote: str


async def record(
    db: Database, *, at: datetime, user: str, action: str, detail: str = "", remote: str = ""
) -> None:
    await db.execute(
        "INSERT INTO web_audit (at, user_name, action, detail, remote) VALUES (?, ?, ?, ?, ?)",
        (stamp(at), user, action, detail, remote),
    )


async def recent(db: Database, limit: int = 50) -> list[AuditEntry]:
    rows = await db.fetch_all(
        "SELECT at, user_name, action, detail, remote FROM web_audit ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    return [
        AuditEntry(
            datetime.fromisoformat(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4])
        )
        for row in rows
    ]
