"""/nugget submit (everyone), /nugget review|approve|edit|reject (admins) and the
"Save as nugget" message command: the chat side of community nuggets.

Each handler calls the one `NuggetQueue` (bot/commands/nugget_queue.py) and turns what it
says into an `Answer`; every answer is private to the asker. A review shows the oldest
pending nugget with Approve, Edit (a form, prefilled) and Reject, and the rest of the queue
to pick from; approving or rejecting shows the next one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.answer import Answer, Choice, Field
from bot.commands.invocation import Invocation
from bot.commands.nugget_queue import NuggetQueue, QueueError, ReviewItem, Submitter
from bot.commands.params import MAX_NAME_LENGTH, MAX_QUERY_LENGTH, Number, Param, Text
from bot.commands.registry import Call, Command, Message, MessageCommand
from bot.nugget_rules import MAX_LENGTH

if TYPE_CHECKING:
    from bot.core import Core

UNATTRIBUTED = ("unattributed", "-", "none", "nobody")
TITLE = "Community nuggets"

TEXT = Param(
    "text",
    Text(MAX_LENGTH),
    "The words, as they were said",
    required=True,
    positional=True,
    metavar="WORDS",
)
SPEAKER = Param(
    "speaker",
    Text(MAX_NAME_LENGTH),
    "Who said it (leave out: unattributed)",
    autocomplete="speakers",
    metavar="NAME",
)
TALK = Param(
    "talk",
    Text(MAX_QUERY_LENGTH, shorten=True),
    "The talk it was said in",
    autocomplete="talks",
)
ID = Param(
    "id",
    Number(1, 10**9),
    "The submitted nugget's number (#12)",
    required=True,
    positional=True,
    metavar="N",
)
PICK = Param(
    "id", Number(1, 10**9), "Show this submitted nugget first", positional=True, metavar="N"
)


def queue_of(core: Core) -> NuggetQueue:
    return NuggetQueue(core.db, core.lookup, core.programme.clock)


def private(
    title: str,
    text: str,
    *,
    found: bool = True,
    fields: tuple[Field, ...] = (),
    actions: tuple[Choice, ...] = (),
    choices: tuple[Choice, ...] = (),
    footer: str = "",
) -> Answer:
    """An answer only the asker sees ("error" when it reports a refusal)."""
    return Answer(
        kind="nugget_review" if found else "error",
        title=title,
        text=text,
        fields=fields,
        actions=actions,
        choices=choices,
        footer=footer,
        found=found,
        ephemeral=True,
    )


def submitter(call: Call, link: str | None = None) -> Submitter:
    caller = call.caller
    return Submitter(caller.frontend or "console", caller.user, caller.who, link)


def queued_answer(item: ReviewItem, call: Call) -> Answer:
    submission = item.submission
    more = Invocation.of(
        "nugget random", speaker=call.optional("speaker"), talk=call.optional("talk")
    )
    talk = submission.talk.title or submission.talk.ref if submission.talk else "talk not named"
    return private(
        "Queued for review",
        f"Thank you! Nugget #{submission.id} is queued for review; only approved nuggets "
        "reach /nugget and the daily post.",
        fields=(
            Field("Words", quoted(submission.text)),
            Field("Said by", submission.speaker or "unattributed", True),
            Field("Talk", talk, True),
        ),
        actions=(Choice("A nugget from the pool", "nugget random", "", invocation=more),),
    )


def quoted(text: str) -> str:
    return f"“{text}”"


async def _submit(core: Core, call: Call, text: str, link: str | None = None) -> Answer:
    try:
        item = await queue_of(core).submit(
            text,
            by=submitter(call, link),
            speaker=call.optional("speaker"),
            talk=call.optional("talk"),
            conference=call.scope[0] if len(call.scope) == 1 else None,
        )
    except QueueError as error:
        return private(
            "Not queued", f"{error} Your words: {quoted(text[:MAX_LENGTH])}", found=False
        )
    return queued_answer(item, call)


async def submit(core: Core, call: Call) -> Answer:
    return await _submit(core, call, call.text("text"))


async def save_message(core: Core, call: Call, message: Message) -> Answer:
    """The "Save as nugget" message command: the message's words, unattributed and without a
    talk (the reviewers set them), linked to the message."""
    if not message.text.strip():
        return private("Not queued", "That message has no words to save.", found=False)
    return await _submit(core, call, message.text, message.link)


def _submission_fields(item: ReviewItem) -> tuple[Field, ...]:
    s = item.submission
    talk = f"{s.talk.title} ({s.talk.ref})" if s.talk and s.talk.title else None
    if s.talk and not talk:
        talk = f"{s.talk.ref} (not loaded now)"
    fields = [
        Field("Said by", s.speaker or "unattributed", True),
        Field("Talk", talk or "not named yet: Edit to set it", True),
        Field(
            "Submitted", f"by {s.submitted_by} on {s.frontend}, {s.submitted_at:%Y-%m-%d %H:%M} UTC"
        ),
    ]
    if s.link:
        fields.append(Field("Where", s.link))
    if item.transcript is not None:
        fields.append(Field("Transcript", item.transcript.describe()))
    return tuple(fields)


def edit_form(item: ReviewItem) -> tuple[tuple[str, str], ...]:
    """The Edit form: the words, the speaker and the talk as they are now."""
    s = item.submission
    return (
        ("text", s.text),
        ("speaker", s.speaker or "unattributed"),
        ("talk", s.talk.ref if s.talk else ""),
    )


async def review_answer(core: Core, first: int | None = None, note: str = "") -> Answer:
    """The oldest pending nugget (or #first) with its buttons, and the rest to pick from."""
    queue = queue_of(core)
    page = await queue.pending(page=1, size=25, matches=False)
    items = list(page.items)
    if first is None and items:
        first = items[0].submission.id
    if first is None:
        return private(TITLE, f"{note} Nothing is waiting for review.".strip())
    try:
        item = await queue.item(first)
    except QueueError as error:
        return private(TITLE, f"{note} {error}".strip(), found=False)
    items = [item, *[i for i in items if i.submission.id != first]]
    s = item.submission
    header = f"{note}\n" if note else ""
    others = len(items) - 1 + max(0, page.total - len(page.items))
    actions: tuple[Choice, ...] = ()
    if s.status == "pending":
        actions = (
            Choice(
                "Approve",
                "nugget approve",
                str(s.id),
                invocation=Invocation.of("nugget approve", id=s.id),
            ),
            Choice(
                "Edit",
                "nugget edit",
                str(s.id),
                invocation=Invocation.of("nugget edit", id=s.id),
                form=edit_form(item),
            ),
            Choice(
                "Reject",
                "nugget reject",
                str(s.id),
                invocation=Invocation.of("nugget reject", id=s.id),
            ),
        )
    return private(
        f"Nugget #{s.id} ({s.status})",
        f"{header}{quoted(s.text)}",
        fields=_submission_fields(item),
        actions=actions,
        choices=tuple(
            Choice(
                f"#{i.submission.id} {i.submission.text}"[:90],
                "nugget review",
                str(i.submission.id),
                invocation=Invocation.of("nugget review", id=i.submission.id),
            )
            for i in items[1:]
        ),
        footer=f"{others} more waiting" if others else "The last one waiting",
    )


async def review(core: Core, call: Call) -> Answer:
    return await review_answer(core, call.number("id", 0) or None)


async def _decide(core: Core, call: Call, verb: str) -> Answer:
    """Approve or reject the nugget #id, then show the next one waiting."""
    number = call.number("id", 0)
    queue = queue_of(core)
    act = queue.approve if verb == "approve" else queue.reject
    try:
        await act(number, by=call.caller.who or "console")
    except QueueError as error:
        return await review_answer(core, note=str(error))
    done = "Approved #{}: it is in the pool now." if verb == "approve" else "Rejected #{}."
    return await review_answer(core, note=done.format(number))


async def approve(core: Core, call: Call) -> Answer:
    return await _decide(core, call, "approve")


async def reject(core: Core, call: Call) -> Answer:
    return await _decide(core, call, "reject")


async def edit(core: Core, call: Call) -> Answer:
    number = call.number("id", 0)
    speaker = call.optional("speaker")
    if speaker is not None and speaker.casefold() in UNATTRIBUTED:
        speaker = ""
    try:
        await queue_of(core).edit(
            number,
            by=call.caller.who or "console",
            text=call.optional("text"),
            speaker=speaker,
            talk=call.optional("talk"),
        )
    except QueueError as error:
        return await review_answer(core, number, note=str(error))
    return await review_answer(core, number, note=f"Edited #{number}.")


def _parts(text: str, names: tuple[str, ...]) -> Mapping[str, str]:
    """'words | talk | speaker' over `names` (empty parts left out)."""
    return {name: part.strip() for name, part in zip(names, text.split(" | "), strict=False)}


def _submit_words(text: str) -> Mapping[str, str]:
    return _parts(text, ("text", "talk", "speaker"))


def _edit_words(text: str) -> Mapping[str, str]:
    number, _, rest = text.partition(" ")
    return {"id": number, **_parts(rest, ("text", "talk", "speaker"))}


SUBMIT = Command(
    "submit",
    "Submit a quote from a talk for review",
    (TEXT, SPEAKER, TALK),
    submit,
    help="Submit the words a speaker said, e.g. /nugget submit WORDS | TALK | SPEAKER; "
    "reviewers approve them.",
    split_words=_submit_words,
)
REVIEW = Command(
    "review",
    "The submitted nuggets waiting for review (admins)",
    (PICK,),
    review,
    help="Approve, edit or reject submitted nuggets (admins).",
    admin=True,
)
APPROVE = Command("approve", "Approve a submitted nugget (admins)", (ID,), approve, admin=True)
REJECT = Command("reject", "Reject a submitted nugget (admins)", (ID,), reject, admin=True)
EDIT = Command(
    "edit",
    "Change a submitted nugget's words, speaker or talk (admins)",
    (ID, Param("text", Text(MAX_LENGTH), "The corrected words", metavar="WORDS"), SPEAKER, TALK),
    edit,
    help="e.g. /nugget edit 12 WORDS | TALK | SPEAKER (speaker 'unattributed' clears it).",
    admin=True,
    split_words=_edit_words,
)

SAVE_AS_NUGGET = MessageCommand(
    "Save as nugget", "Submit this message's words as a nugget for review", save_message
)
