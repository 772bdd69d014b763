"""The one place that owns the SQLite connection: pragmas, migrations and transactions.

Every other store module receives a `Database` and uses `fetch_all` / `fetch_one` (one thread
hop each, through aiosqlite's `execute_fetchall`) and `transaction()` for writes.

There is one connection, so one slow statement would hold up every user: each statement run
outside a transaction has a time budget (`query_budget`, 0.2 s by default, the setting
CONFBOT_QUERY_BUDGET_MS), and so has each command as a whole (`command_budget()`: all the
statements of one command share one budget). A watchdog on the event loop interrupts a
statement that has spent more CPU time (of the thread running it) than it has left, or five
times the budget in wall-clock time, and `QueryBudgetExceeded` is raised; the connection stays
usable. CPU time first, so that a machine busy with other work does not cut short a query that
was only waiting for a core; the wall-clock backstop still bounds a query stuck on I/O.
Statements inside `transaction()` (loads, imports, migrations) are never stopped. Every string
bound as a parameter has its lone surrogates replaced first (SQLite cannot bind them), the last
line of defence behind bot.text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar, Token
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.schema import MIGRATIONS
from bot.text import replace_surrogates

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]

DEFAULT_QUERY_BUDGET = 0.2  # seconds one statement may hold the connection
WALL_CLOCK_FACTOR = 5.0  # ... or this many times that while waiting for a core or a disk


class StoreError(RuntimeError):
    """The database cannot be used (corrupt, newer schema than this code, locked)."""


class QueryBudgetExceeded(RuntimeError):
    """A statement ran past the query budget and was stopped (the query asks too much)."""


class _Watchdog:
    """The per-statement time budget, kept from the event loop: nothing runs in SQLite's
    thread while a statement works (a trace callback and a progress handler there cost a
    Python call per statement, FTS5's own statements included, and every 1000 VM steps: a
    third of a search's time). `watching` a statement notes the worker's CPU clock and the time;
    one timer (at most one pending, re-armed from itself) checks the running statement at
    its deadline and interrupts it (`sqlite3.Connection.interrupt`, made to be called from
    another thread) once it has spent more than `allowance` of the worker's CPU time, or
    WALL_CLOCK_FACTOR times `seconds` of wall-clock time, unless a transaction is open
    (writes are never cut short). `spent` is what the last statement used."""

    def __init__(self, connection: aiosqlite.Connection, seconds: float) -> None:
        self.seconds = seconds
        self.allowance = seconds
        self.spent = 0.0
        self.sql = ""
        self._connection = connection
        self._thread_clock: int | None = None
        self._running = False
        self._cpu = 0.0
        self._wall = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._interrupting: asyncio.Future[None] | None = None

    def watch_thread(self, thread_id: int) -> None:
        """Measure CPU time on the thread that runs the statements (where the platform can
        tell one thread's CPU time: Linux, the BSDs; elsewhere wall-clock time counts)."""
        with contextlib.suppress(AttributeError, OSError):
            self._thread_clock = time.pthread_getcpuclockid(thread_id)

    def _thread_cpu(self) -> float:
        if self._thread_clock is None:
            return time.monotonic()
        return time.clock_gettime(self._thread_clock)

    def watching(self, sql: str, allowance: float) -> _Watchdog:
        """`with budget.watching(sql, allowance):` around the one statement it runs."""
        self.sql = sql
        self.allowance = allowance
        return self

    def __enter__(self) -> None:
        if self.seconds <= 0:
            return
        self._running = True
        self._cpu = self._thread_cpu()
        self._wall = time.monotonic()
        deadline = self._wall + self.allowance
        if self._timer is not None and self._timer.when() > deadline:
            self._timer.cancel()
            self._timer = None
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_at(deadline, self._check)

    def __exit__(self, kind: object, error: BaseException | None, _trace: object) -> None:
        """Note what the statement spent; SQLite's "interrupted" (the watchdog stopped it)
        becomes `QueryBudgetExceeded`."""
        if self._running:
            self._running = False
            self.spent = self._thread_cpu() - self._cpu
        if isinstance(error, sqlite3.OperationalError) and str(error) == "interrupted":
            statement = " ".join(self.sql.split())[:100]
            log.warning("stopped a query at its %.0f ms budget: %s", self.seconds * 1000, statement)
            raise QueryBudgetExceeded(
                f"a query ran past its {self.seconds * 1000:.0f} ms budget and was stopped"
            ) from error

    def _check(self) -> None:
        self._timer = None
        if not self._running:
            return
        spent = self._thread_cpu() - self._cpu
        waited = time.monotonic() - self._wall
        backstop = self.seconds * WALL_CLOCK_FACTOR
        if spent <= self.allowance and waited <= backstop:
            later = max(0.001, min(self.allowance - spent, backstop - waited))
            self._timer = asyncio.get_running_loop().call_later(later, self._check)
        elif not self._connection.in_transaction:
            self._interrupting = asyncio.ensure_future(self._connection.interrupt())


# What the command being answered in this task has left of its budget (see command_budget).
_command_left: ContextVar[list[float] | None] = ContextVar("confbot_command_left", default=None)


class _CommandBudget:
    """`with db.command_budget():` (a class, not a generator: it wraps every command)."""

    __slots__ = ("_seconds", "_token")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._token: Token[list[float] | None] | None = None

    def __enter__(self) -> None:
        if self._seconds > 0 and _command_left.get() is None:
            self._token = _command_left.set([self._seconds])

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _command_left.reset(self._token)


class Database:
    """An open confbot database. Build it with `await Database.open(path)`."""

    def __init__(self, connection: aiosqlite.Connection, path: Path | str) -> None:
        self.connection = connection
        self.path = path
        # One connection is shared by every coroutine (commands, post loops, a reload), so
        # transactions take turns: a second one waits instead of failing or interleaving.
        self._write_lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._budget = _Watchdog(connection, DEFAULT_QUERY_BUDGET)
        # Statements from fetch_* and execute take turns, so each runs with its own allowance.
        self._turn = asyncio.Lock()

    @property
    def query_budget(self) -> float:
        """Seconds one statement outside a transaction may run; 0 turns the budget off."""
        return self._budget.seconds

    @query_budget.setter
    def query_budget(self, seconds: float) -> None:
        self._budget.seconds = max(0.0, seconds)

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        migrate: bool = True,
        query_budget: float = DEFAULT_QUERY_BUDGET,
    ) -> Database:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        connection.row_factory = aiosqlite.Row
        database = cls(connection, path)
        database.query_budget = query_budget
        try:
            await database._find_worker_thread()
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA foreign_keys=ON")
            await connection.execute("PRAGMA busy_timeout=5000")
            await connection.execute("PRAGMA synchronous=NORMAL")
            if migrate:
                await database.migrate()
        except Exception:
            await connection.close()
            raise
        return database

    async def close(self) -> None:
        await self.connection.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def in_transaction(self) -> bool:
        """True while a `transaction()` is open on this connection (by any coroutine)."""
        return self._write_lock.locked()

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> None:
        """Apply every migration newer than the file's `user_version`, each in its own
        transaction together with the version bump, so a crash never half-applies one."""
        current = await self.schema_version()
        newest = MIGRATIONS[-1][0]
        if current > newest:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this confbot "
                f"understands ({newest}); upgrade confbot or use another --db"
            )
        for version, script in MIGRATIONS:
            if version <= current:
                continue
            async with self.transaction():
                for statement in _split_statements(script):
                    await self.connection.execute(statement)
                await self.connection.execute(f"PRAGMA user_version={version:d}")
            log.info("migrated %s to schema version %d", self.path, version)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception.

        Coroutines take turns; opening a second transaction inside one's own is an error.
        """
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            raise StoreError("nested transaction")
        async with self._write_lock:
            self._owner = task
            try:
                await self.connection.execute("BEGIN IMMEDIATE")
                try:
                    yield self.connection
                except BaseException:
                    await self.connection.execute("ROLLBACK")
                    raise
                else:
                    try:
                        await self.connection.execute("COMMIT")
                    except BaseException:
                        # A failed COMMIT (disk full, I/O error) leaves the transaction open;
                        # roll it back so the shared connection stays usable.
                        with contextlib.suppress(Exception):
                            await self.connection.execute("ROLLBACK")
                        raise
            finally:
                self._owner = None

    async def _find_worker_thread(self) -> None:
        """Tell the budget which thread runs the statements (aiosqlite's worker): a trace
        callback, there for one statement, names it."""
        seen: list[int] = []
        await self.connection.set_trace_callback(lambda _sql: seen.append(threading.get_ident()))
        try:
            await self.connection.execute("SELECT 1")
        finally:  # sqlite3 takes None to remove it; aiosqlite's annotations do not say so
            await self.connection.set_trace_callback(None)  # type: ignore[arg-type]
        if seen:
            self._budget.watch_thread(seen[0])

    def command_budget(self) -> _CommandBudget:
        """Within this block (one command) all statements together get one query budget;
        a nested block shares the outer one."""
        return _CommandBudget(self.query_budget)

    async def fetch_all(
        self, sql: str, params: Params = (), *, own_budget: bool = False
    ) -> list[aiosqlite.Row]:
        """The rows of one read. `own_budget`: the statement gets the whole per-statement
        budget and does not count against the command's (for caches built once)."""
        return list(await self._run(sql, params, own_budget))

    async def fetch_one(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        for row in await self._run(sql, params, False):
            return row
        return None

    async def _run(self, sql: str, params: Params, own_budget: bool) -> Iterable[aiosqlite.Row]:
        left = None if own_budget else _command_left.get()
        async with self._turn:
            allowance = self._budget.seconds
            if left is not None:
                if left[0] <= 0:
                    raise QueryBudgetExceeded("this command has used up its query budget")
                allowance = min(allowance, left[0])
            try:
                with self._budget.watching(sql, allowance):
                    return await self.connection.execute_fetchall(sql, _safe(params))
            except QueryBudgetExceeded:
                if left is not None:
                    left[0] = 0.0  # a command whose query was stopped is over
                raise
            finally:
                if left is not None:
                    left[0] -= self._budget.spent

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in autocommit mode (or inside an open transaction);
        returns the number of changed rows."""
        if self._owner is not None and self._owner is asyncio.current_task():
            return await self._execute(sql, params)
        async with self._write_lock:  # never slip into another coroutine's transaction
            return await self._execute(sql, params)

    async def execute_returning(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Like `execute()` for one write statement with RETURNING: the rows it returns."""
        if self._owner is not None and self._owner is asyncio.current_task():
            return await self.fetch_all(sql, params)
        async with self._write_lock:  # never slip into another coroutine's transaction
            return await self.fetch_all(sql, params)

    async def _execute(self, sql: str, params: Params) -> int:
        async with self._turn:
            with self._budget.watching(sql, self._budget.seconds):
                cursor = await self.connection.execute(sql, _safe(params))
        count = cursor.rowcount
        await cursor.close()
        return count

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        safe_rows = (_safe(row) for row in rows)
        if self._owner is not None and self._owner is asyncio.current_task():
            await self.connection.executemany(sql, safe_rows)
            return
        # Like execute(): never inside another coroutine's transaction.
        async with self._write_lock, self._turn:
            with self._budget.watching(sql, self._budget.seconds):
                await self.connection.executemany(sql, safe_rows)


def _safe(params: Params) -> Params:
    """Parameters with every string made bindable (lone surrogates replaced)."""
    if isinstance(params, dict):
        return {key: _safe_value(value) for key, value in params.items()}
    return [_safe_value(value) for value in params]


def _safe_value(value: Any) -> Any:
    return replace_surrogates(value) if isinstance(value, str) else value


def _split_statements(script: str) -> list[str]:
    """A migration script's statements, each whole (a trigger's body holds ';' too)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements
