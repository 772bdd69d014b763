"""The command table: each command declared once, and the one way to run it.

A `Command` is a name, a one-line summary (Discord's description, Slack's manifest), its
`Param`s, whether it needs an admin, and a handler that gets the parsed values and returns an
`Answer`. `Registry.parse_line` reads a text command line (console, `confbot ask`, Slack) into
an `Invocation`; `Registry.run` parses its arguments once (`bot.commands.params`), runs the
handler and stamps the answer with the invocation, so every front end can build follow-ups
that replay it. Knows no platform.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answer import Answer, Choice
from bot.commands.call import NOBODY, Call, Caller, Channels
from bot.commands.invocation import Invocation
from bot.commands.params import Param, ParamError, Slug, Value, clean_text, known_conference
from bot.frozen import stamped

if TYPE_CHECKING:
    from bot.core import Core

__all__ = ["NOBODY", "Call", "Caller", "Channels", "Command", "Registry"]

_FLAG = re.compile(r"(?:^|\s)--([a-z][a-z0-9_-]{0,31})(?:\s+(\S+))?")


Handler = Callable[["Core", Call], Awaitable[Answer]]
WordSplitter = Callable[[str], Mapping[str, str]]


@dataclass(frozen=True)
class Command:
    """One command, declared once. `split_words` spreads the free words of a command line
    over several positional parameters (/schedule: a day, then a room). A command with
    `subcommands` is a group (/wisdom subscribe ...): its own handler answers a bare /wisdom,
    and each subcommand is registered as "wisdom subscribe", admin when the group is."""

    name: str
    summary: str
    params: tuple[Param, ...]
    handler: Handler
    help: str = ""
    admin: bool = False
    split_words: WordSplitter | None = None
    slash: bool = True  # a Discord and Slack slash command (not /help: text front ends only)
    private: bool = False  # every answer is the caller's own (an agenda): never shown to others
    # The answer depends on the arguments, the community's conferences and the loaded data
    # alone (no clock, no random pick, nothing of the caller's): kept per data version
    # (bot/commands/answer_cache.py).
    cached: bool = False
    subcommands: tuple[Command, ...] = ()
    # The subcommand a group runs when a text line's first word names none of them
    # ("/nugget airflow" is "/nugget random airflow"); Discord offers it as a subcommand.
    default: str = ""

    @property
    def short_name(self) -> str:
        """The name within its group ("subscribe" of "wisdom subscribe")."""
        return self.name.rpartition(" ")[2]

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @functools.cached_property
    def positional(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.positional)

    @functools.cached_property
    def flags(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if not p.positional)

    @functools.cached_property
    def slug_params(self) -> tuple[str, ...]:
        """The parameters that name a conference, checked against the loaded ones."""
        return tuple(p.name for p in self.params if isinstance(p.type, Slug))

    @functools.cached_property
    def takes_conference(self) -> bool:
        return self.param("conference") is not None

    def usage(self) -> str:
        """'/schedule [DAY] [ROOM] [--conference SLUG]'; '/wisdom subscribe|status' for a group."""
        if self.subcommands:
            others = "|".join(
                s.short_name for s in self.subcommands if s.short_name != self.default
            )
            if self.default:  # '/nugget [WHO OR WHAT] [--speaker NAME] … | submit|review|…'
                return f"{self._own_usage()} | {others}"
            return f"/{self.name} {others}"
        return self._own_usage()

    def _own_usage(self) -> str:
        parts = [f"/{self.name}"]
        for param in self.positional:
            parts.append(param.label if param.required else f"[{param.label}]")
        for param in self.flags:
            parts.append(f"[--{param.name} {param.label}]")
        return " ".join(parts)

    def hint(self) -> str:
        """The usage without the command name (Slack's usage_hint)."""
        return self.usage().partition(" ")[2]


@dataclass(frozen=True)
class Message:
    """A chat message a message command was used on, as the front end read it: its text
    (platform markup already turned into plain words), a link to it, and its author."""

    text: str
    link: str
    author: str = ""


MessageHandler = Callable[["Core", Call, Message], Awaitable[Answer]]


@dataclass(frozen=True)
class MessageCommand:
    """A command used on a message (Discord: right-click a message, Apps; Slack: a message
    shortcut), declared once: its `name` is what the menu shows, `callback_id` Slack's."""

    name: str
    summary: str
    handler: MessageHandler

    @property
    def callback_id(self) -> str:
        """'Save as nugget' -> 'save_as_nugget' (slack-manifest.yml's shortcut)."""
        return re.sub(r"[^a-z0-9]+", "_", self.name.lower()).strip("_")


class Registry:
    """The commands by name, in the order they were declared, and the message commands."""

    def __init__(
        self, commands: Sequence[Command], messages: Sequence[MessageCommand] = ()
    ) -> None:
        self.messages = tuple(messages)
        self._commands = {command.name: command for command in commands}
        if len(self._commands) != len(commands):
            raise ValueError("two commands share a name")
        self._all = dict(self._commands)
        for group in commands:
            subs = tuple(
                dataclasses.replace(
                    sub,
                    name=f"{group.name} {sub.name}",
                    admin=sub.admin or group.admin,
                    private=sub.private or group.private,
                )
                for sub in group.subcommands
            )
            self._commands[group.name] = dataclasses.replace(group, subcommands=subs)
            self._all[group.name] = self._commands[group.name]
            self._all.update((sub.name, sub) for sub in subs)

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands.values())

    def __len__(self) -> int:
        return len(self._commands)

    def get(self, name: str) -> Command | None:
        """A command by name, a subcommand by its full name ("wisdom subscribe")."""
        return self._all.get(name)

    def leaves(self) -> Iterator[Command]:
        """Every command that runs: the plain ones and each subcommand of a group."""
        for command in self:
            yield from command.subcommands or (command,)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._commands)

    def parse_line(self, line: str) -> Invocation | Answer:
        """'/search data --conference normconf-2022' -> Invocation('search', ...); a usage
        Answer for an unknown command or a flag the command does not take."""
        name, words = split_command(line)
        name = name or "help"
        command = self._commands.get(name)
        if command is None:
            return usage(name[:32], f"There is no /{name[:32]} command.", known=False)
        if command.subcommands:
            word, _, rest = words.partition(" ")
            sub = self.get(f"{name} {word.lower()}")
            if sub is None and command.default:
                sub = self.get(f"{name} {command.default}")
            elif sub is not None:
                words = rest
            if sub is None:
                return usage(name, group_usage(command))
            command = sub
        args: dict[str, str] = {}
        kept: list[str] = []
        position = 0
        for match in _FLAG.finditer(words):
            flag, value = match.group(1), match.group(2)
            param = command.param(flag)
            if param is None or param.positional:
                continue  # not one of ours: words to look for ("/search --force")
            if value is None:
                return usage(command.name, f"--{flag} needs a value: {param.help}.")
            args[flag] = value
            kept.append(words[position : match.start()])
            position = match.end()
        kept.append(words[position:])
        rest = " ".join(" ".join(kept).split())
        if rest and command.split_words is not None:
            args.update({k: v for k, v in command.split_words(rest).items() if v})
        elif rest and command.positional:
            args[command.positional[0].name] = rest
        return Invocation.from_mapping(command.name, args)

    async def run(self, core: Core, invocation: Invocation, caller: Caller = NOBODY) -> Answer:
        """Parse the invocation's arguments, run its handler, stamp the answer with it."""
        command = self.get(invocation.command)
        if command is not None and command.default:  # a follow-up made before the group
            invocation = Invocation(f"{command.name} {command.default}", invocation.args)
            command = self.get(invocation.command)
        if command is None:
            name = invocation.command[:32]
            return usage(name, f"There is no /{name} command.", known=False)
        if command.admin and not caller.admin:
            return Answer(
                kind="error",
                title="Not allowed",
                text=f"Only admins can use /{command.name}.",
                found=False,
                ephemeral=True,
            )
        values: dict[str, Value] = {}
        errors: list[ParamError] = []
        for param in command.params:
            raw = invocation.get(param.name)
            if not raw:
                continue
            try:
                values[param.name] = param.parse(raw)
            except ParamError as error:
                errors.append(error)
        if errors:  # every bad value, each in its own words, in one answer
            answer = usage(command.name, " ".join(map(str, errors)) + f" Usage: {command.usage()}")
            titles = {error.title for error in errors}
            if len(titles) == 1 and "" not in titles:
                answer = stamped(answer, title=titles.pop())
            return answer
        slugs = [name for name in command.slug_params if name in values]
        if slugs:
            known = await core.lookup.conference_slugs()
            try:
                for name in slugs:
                    known_conference(str(values[name]), known)
            except ParamError as error:
                return usage(command.name, str(error))
        scope: tuple[str, ...] = ()
        if command.takes_conference and "conference" not in values:
            # Not written into the invocation: a follow-up looks the community up again when
            # it is pressed (why: bot/commands/scope.py).
            scope = await community_scope(core, caller)
        # Arguments the command does not take (a hand-made button) are dropped.
        kept = Invocation.from_mapping(command.name, {k: str(v) for k, v in values.items()})
        version: object = None
        if command.cached:
            found, version = await core.answers.get((kept, scope))
            if found is not None:
                return found
        answer = await command.handler(core, Call(kept, values, caller, scope))
        choices = self._complete(answer.choices, kept)
        actions = self._complete(answer.actions, kept)
        if not (answer.invocation and choices is answer.choices and actions is answer.actions):
            # (an answer the handler stamped itself, kept and handed out again, stays the
            # same object, so a front end renders it once)
            answer = stamped(
                answer, invocation=answer.invocation or kept, choices=choices, actions=actions
            )
        if command.cached:
            core.answers.keep(version, (kept, scope), answer)
        return answer

    async def run_message(
        self, core: Core, name: str, message: Message, caller: Caller = NOBODY
    ) -> Answer:
        """Run the message command `name` (its menu name or callback_id) on `message`."""
        found = next((m for m in self.messages if name in (m.name, m.callback_id)), None)
        if found is None:
            return usage(name[:32], f"There is no “{name[:32]}” message command.", known=False)
        kept = Invocation(found.callback_id)
        answer = await found.handler(core, Call(kept, {}, caller), message)
        return stamped(answer, invocation=answer.invocation or kept)

    def _complete(self, choices: tuple[Choice, ...], source: Invocation) -> tuple[Choice, ...]:
        """`choices`, each with the invocation it replays (`replay`). A choice list is up to
        25 talks of one command: the target's part of `source` is worked out once for all."""
        if all(choice.invocation is not None for choice in choices):
            return choices  # the same tuple: nothing to complete
        replays: dict[str, _Replay | None] = {}
        completed = []
        for choice in choices:
            if choice.invocation is None:
                if choice.command not in replays:
                    replays[choice.command] = self._replay_of(choice.command, source)
                replay = replays[choice.command]
                if replay is not None:
                    choice = stamped(choice, invocation=replay.with_query(choice.query))
            completed.append(choice)
        return tuple(completed)

    def replay(self, choice: Choice, source: Invocation | None = None) -> Invocation | None:
        """The invocation a follow-up replays. One named by (command, query) gets the query
        as the target's first positional argument, and every option of `source` the target
        also takes (a talk picked from a search stays in the search's conference). None when
        the target is not a command."""
        if choice.invocation is not None:
            return choice.invocation
        replay = self._replay_of(choice.command, source)
        return None if replay is None else replay.with_query(choice.query)

    def _replay_of(self, name: str, source: Invocation | None) -> _Replay | None:
        target = self.get(name)
        if target is None or not target.positional:
            return None
        options = {p.name: source.get(p.name) for p in target.flags} if source else {}
        return _Replay(target.name, target.positional[0].name, options)


class _Replay:
    """What the follow-ups of one answer to one command share: the options they keep, in
    name order around the place of the positional argument each one sets."""

    def __init__(self, command: str, positional: str, options: Mapping[str, str]) -> None:
        kept = sorted((name, value) for name, value in options.items() if value)
        self.command = command
        self.positional = positional
        self._before = tuple(arg for arg in kept if arg[0] < positional)
        self._after = tuple(arg for arg in kept if arg[0] > positional)

    def with_query(self, query: str) -> Invocation:
        if not query:
            return Invocation(self.command, self._before + self._after)
        return Invocation(self.command, (*self._before, (self.positional, query), *self._after))


async def community_scope(core: Core, caller: Caller) -> tuple[str, ...]:
    """The loaded conferences the caller's community is about (/conference use), cached
    (bot.commands.scope); () on the console, when it never said, or when none of them is
    loaded any more (then every conference is looked in, not none)."""
    if not caller.place:
        return ()
    chosen = await core.lookup.communities.of(caller.frontend, caller.place)
    if not chosen:
        return ()
    known = await core.lookup.conference_slugs()
    return tuple(slug for slug in chosen if slug in known)


def split_command(line: str) -> tuple[str, str]:
    """'/talk  keynote' -> ('talk', 'keynote'); a bare word is a command; case-insensitive.
    The argument is not shortened here, so the command can say when it shortens it."""
    head, _, rest = clean_text(line).partition(" ")
    return head.lstrip("/").lower(), rest.strip()


def group_usage(group: Command) -> str:
    """'Usage: /wisdom subscribe|…' and one line per subcommand with its parameters."""
    lines = [f"Usage: {group.usage()}"]
    lines += [f"• `{sub.usage()}` — {sub.help or sub.summary}" for sub in group.subcommands]
    return "\n".join(lines)


def usage(command: str, message: str, known: bool = True) -> Answer:
    return Answer(
        kind="usage",
        title=f"/{command}" if known else "Unknown command",
        text=message + ("" if known else " Try /help."),
        found=False,
        ephemeral=True,
    )
