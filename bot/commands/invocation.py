"""`Invocation`: a command and every argument it was given, the value every follow-up carries.

A choice, a page button, "Another one", the console's `more` and a number all hold the
invocation they replay, usually the one that produced the answer with one argument changed
(`with_args`), so no argument is ever lost between pages.

On the wire an invocation is text (`encode` / `decode`): ``search?conference=x&page=2&text=data``
with ``%``, ``&`` and ``=`` escaped in values. Discord's custom_id (100 characters) and Slack's
action value (2,000) hold it inline; when it does not fit, a front end keeps it in a
`Stash` and sends a short token instead (such a button expires with the stash or a restart).
"""

from __future__ import annotations

import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_COMMAND = re.compile(r"[a-z][a-z0-9_-]{0,31}(?: [a-z][a-z0-9_-]{0,31})?")  # "wisdom subscribe"
_ESCAPES = (("%", "%25"), ("&", "%26"), ("=", "%3D"))
_UNESCAPE = re.compile("%25|%26|%3D")


@dataclass(frozen=True)
class Invocation:
    """`command` with its arguments as text, by name, in name order (so equal calls compare
    equal); an empty value is an absent argument."""

    command: str
    args: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, command: str, /, **args: str | int | None) -> Invocation:
        return cls(command).with_args(**args)

    @classmethod
    def from_mapping(cls, command: str, args: Mapping[str, str]) -> Invocation:
        return cls(command, tuple(sorted((k, v) for k, v in args.items() if v)))

    def get(self, name: str, default: str = "") -> str:
        for key, value in self.args:
            if key == name:
                return value
        return default

    def as_dict(self) -> dict[str, str]:
        return dict(self.args)

    def with_args(self, **changes: str | int | None) -> Invocation:
        """This invocation with `changes` applied (None or "" removes an argument)."""
        merged = self.as_dict()
        for name, value in changes.items():
            text = "" if value is None else str(value)
            if text:
                merged[name] = text
            else:
                merged.pop(name, None)
        return Invocation.from_mapping(self.command, merged)


def encode(invocation: Invocation) -> str:
    """The invocation as one line of text; `decode` gives it back."""
    pairs = "&".join(f"{name}={_escape(value)}" for name, value in invocation.args)
    return f"{invocation.command}?{pairs}"


def decode(text: str) -> Invocation | None:
    """The invocation `encode` wrote, or None for anything else."""
    command, mark, rest = text.partition("?")
    if not mark or not _COMMAND.fullmatch(command):
        return None
    args: dict[str, str] = {}
    for pair in rest.split("&") if rest else ():
        name, equals, value = pair.partition("=")
        if not equals or not _NAME.fullmatch(name):
            return None
        args[name] = _UNESCAPE.sub(lambda m: _UNESCAPED[m.group(0)], value)
    return Invocation.from_mapping(command, args)


_UNESCAPED = {escaped: raw for raw, escaped in _ESCAPES}


def _escape(value: str) -> str:
    for raw, escaped in _ESCAPES:
        value = value.replace(raw, escaped)
    return value


class Stash:
    """Short-lived texts too long for a button: token -> text, bounded and expiring.

    Lives in a front end (no globals); a restart forgets it, so such buttons then expire.
    """

    def __init__(
        self,
        ttl: float = 30 * 60.0,
        max_entries: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._by_token: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._by_text: dict[str, str] = {}
        self.puts = 0  # texts stashed so far: a render that stashed none can be kept

    def __len__(self) -> int:
        return len(self._by_token)

    def put(self, text: str) -> str:
        self.puts += 1
        now = self._clock()
        token = self._by_text.get(text)
        if token is not None and token in self._by_token:
            self._by_token[token] = (text, now)
            self._by_token.move_to_end(token)
            return token
        self._expire(now)
        token = secrets.token_urlsafe(9)
        self._by_token[token] = (text, now)
        self._by_text[text] = token
        while len(self._by_token) > self.max_entries:
            _, (old, _) = self._by_token.popitem(last=False)
            self._by_text.pop(old, None)
        return token

    def get(self, token: str) -> str | None:
        entry = self._by_token.get(token)
        if entry is None:
            return None
        text, stored = entry
        if self._clock() - stored > self.ttl:
            self._by_token.pop(token, None)
            self._by_text.pop(text, None)
            return None
        return text

    def _expire(self, now: float) -> None:
        while self._by_token:
            text, stored = next(iter(self._by_token.values()))
            if now - stored <= self.ttl:
                return
            self._by_token.popitem(last=False)
            self._by_text.pop(text, None)


STASH_MARK = "#"


def pack(invocation: Invocation, stash: Stash, limit: int, prefix: str = "") -> str:
    """`prefix` + the encoded invocation when that fits in `limit` characters, else `prefix` +
    ``#`` + a stash token."""
    inline = prefix + encode(invocation)
    if len(inline) <= limit:
        return inline
    return prefix + STASH_MARK + stash.put(encode(invocation))


@dataclass(frozen=True)
class Unpacked:
    """What a button holds: its invocation, or None when it was stashed and has expired."""

    invocation: Invocation | None


def unpack(text: str, stash: Stash) -> Unpacked | None:
    """The invocation `pack` wrote (prefix already removed); None when it is not ours."""
    if text.startswith(STASH_MARK):
        found = stash.get(text[len(STASH_MARK) :])
        return Unpacked(decode(found) if found is not None else None)
    invocation = decode(text)
    return None if invocation is None else Unpacked(invocation)
