"""The answers the catalogue commands build: a talk, a speaker, a nugget, and their notes.

Shared by the handlers (and by delivery, which posts nuggets): plain `Answer` values, no
platform. Follow-ups are `Choice`s naming a command and the value they ask it; the registry
completes each into the `Invocation` it replays.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.answer import Answer, Choice, Field
from bot.commands.params import MAX_QUERY_LENGTH
from bot.frozen import build
from bot.store.queries import NuggetView, SpeakerView, TalkLabel, TalkView


def speaker_line(talk: TalkView | TalkLabel) -> str:
    if talk.speakers:
        return ", ".join(talk.speakers)
    return "speaker not named"


def talk_choice(talk: TalkView | TalkLabel) -> Choice:
    return build(
        Choice,
        label=talk.title,
        command="talk",
        query=talk.ref,
        description=f"{speaker_line(talk)} · {talk.conference_name}",
        invocation=None,
        form=(),
    )


def format_offset(milliseconds: int) -> str:
    seconds = milliseconds // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def talk_answer(talk: TalkView) -> Answer:
    fields = [
        Field("Speaker" if len(talk.speakers) == 1 else "Speakers", speaker_line(talk), True),
        Field("Conference", talk.conference_name, True),
    ]
    if talk.kind != "talk":
        fields.append(Field("Kind", talk.kind, True))
    if talk.speaker_note:
        fields.append(Field("Who spoke", talk.speaker_note))
    if talk.starts_at:
        start = talk.starts_at
        if talk.conference_timezone:
            start = start.astimezone(ZoneInfo(talk.conference_timezone))
        when = start.strftime("%a %d %b %Y, %H:%M %Z").strip()
        fields.append(Field("When", when + (f" · {talk.room}" if talk.room else ""), True))
    for nugget in talk.nuggets[:4]:
        fields.append(Field("Nugget", _quote(nugget)))
    if talk.has_transcript:
        fields.append(
            Field(
                "Transcript",
                f"Full transcript available ({talk.transcript_source}); search it with /search.",
            )
        )
    actions: list[Choice] = []
    if talk.starts_at:  # on the caller's own agenda: a DM before it starts
        actions.append(Choice(label="Remind me", command="follow talk", query=talk.ref))
    if talk.nuggets:
        actions.append(
            Choice(label="Another nugget from this talk", command="nugget", query=talk.ref)
        )
    return Answer(
        kind="talk",
        title=talk.title,
        text=_talk_text(talk),
        fields=tuple(fields),
        actions=tuple(actions),
        footer=f"Source: {talk.source}" if talk.source else "",
        url=talk.url,
        meta={"ref": talk.ref},
    )


def speaker_answer(speaker: SpeakerView) -> Answer:
    lines = [f"• {t.title} ({t.conference_name}, {t.kind})" for t in speaker.talks]
    text = speaker.biography or ""
    return Answer(
        kind="speaker",
        title=speaker.name,
        text=text,
        fields=(Field("Talks" if len(lines) != 1 else "Talk", "\n".join(lines) or "none"),),
        choices=tuple(talk_choice(t) for t in speaker.talks),
        actions=(
            Choice(label=f"A nugget from {speaker.name}", command="nugget", query=speaker.name),
        ),
        meta={"speaker": speaker.name},
    )


def nugget_answer(nugget: NuggetView, again: Choice | None = None) -> Answer:
    """A nugget with its attribution; `again` is its "Another one" (a random one if None)."""
    return Answer(
        kind="nugget",
        title="Nugget of wisdom",
        text=f"“{nugget.text}”",
        fields=(
            Field("Said by", nugget.speaker or "speaker not named in the source", True),
            Field("Talk", f"{nugget.talk_title} ({nugget.conference_name})", True),
        ),
        footer=f"Source: {nugget.source}",
        actions=(again or Choice(label="Another one", command="nugget", query=""),),
        meta={"nugget_key": nugget.key, "talk_ref": nugget.talk_ref},
    )


def _quote(nugget: NuggetView) -> str:
    return f"“{nugget.text}” — {nugget.speaker or 'speaker not named'}"


def empty_store() -> Answer:
    return Answer(
        kind="error",
        title="No data loaded",
        text="There are no talks loaded yet. An organiser can run `confbot load`.",
        found=False,
        ephemeral=True,
    )


def note_shortened(answer: Answer, shortened: bool) -> Answer:
    if not shortened:
        return answer
    note = f"Your query was shortened to its first {MAX_QUERY_LENGTH} characters."
    footer = f"{answer.footer} · {note}" if answer.footer else note
    return Answer(**{**answer.__dict__, "footer": footer})


def _talk_text(talk: TalkView) -> str:
    """The summary, then the description when it says more than the summary already does."""
    description = (talk.description or "").strip()
    if not description or description in talk.summary:
        return talk.summary
    if not talk.summary.strip() or talk.summary.strip() in description:
        return description
    return f"{talk.summary}\n\n{description}"
