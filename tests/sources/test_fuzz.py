"""Property-based fuzzing of every source: mutations of the real samples and the bundled data.

The mutations are what broke confbot before: truncation, wrong types, missing keys, huge
numbers, odd dates, bad encodings, deep nesting, duplicate guids, entries that are not files.
The properties: no exception escapes but `RecordError`; a refusal names the file, and the
line wherever the input has one (every refused export that is not empty, every refused data
file that can be read); what is accepted is sound; a refused load or import leaves the
database byte-identical. Derandomized, so CI sees the same examples every run.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import random
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.records import Conference, RecordError, in_calendar
from bot.sources.bundled import read_data_dir
from bot.sources.detect import load_schedule
from bot.sources.files import ImportLimits, file_problem
from bot.sources.transcripts import parse_transcript
from bot.store.content import load_data_dir
from bot.store.db import Database
from bot.store.imports import import_conference
from tests.conftest import BUNDLED_DATA, SHARED, shared_bytes
from tests.sources.test_schedule_xml import schedule_xml_from_json
from tests.store.test_content import dump

SAMPLES = SHARED / "samples"
JSON_SAMPLES = ("frab-camp2019.json", "pretalx-rc3.json", "pretalx-democon.json")
SRT_SAMPLE = SAMPLES / "bornhack2021-how-to-open-source-your-code-properly.srt"
VTT_SAMPLE = (
    "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nWheels just work.\n\n"
    "2\n00:01:05.000 --> 00:01:08.500\n<v Ana>Alpine, again.</v>\n"
)
LIMITS = ImportLimits(max_bytes=5_000_000, max_events=2_000)

FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

DEEP = "__deep__"
DEEP_JSON = "[" * 100_000 + "]" * 100_000
HOSTILE_VALUES: tuple[object, ...] = (
    None,
    0,
    -1,
    10**30,
    1e308,
    True,
    "",
    " ",
    [],
    {},
    [1, 2],
    {"a": 1},
    "\ud800",
    "x" * 5000,
    "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:30:00-01:00",
    "2019-02-30T10:00:00+02:00",
    "2019-08-21T10:00:00",
    "2019-08-21",
    "25:61",
    "100000000:00",
    "999999999:23:59",
    "-0:30",
    "Mars/Olympus",
    "../../etc/passwd",
    "<b>bold</b> &amp; [link](x)",
    DEEP,
)


def positions(value: object, trail: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    """Every path (a tuple of keys and indexes) inside a JSON value."""
    yield trail
    if isinstance(value, dict):
        for key, child in value.items():
            yield from positions(child, (*trail, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from positions(child, (*trail, index))


def event_paths(paths: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return [path for path in paths if path and path[-1] == "guid"]


SAMPLE_DOCUMENTS = {
    name: json.loads(shared_bytes(f"samples/{name}") or b"{}") for name in JSON_SAMPLES
}
SAMPLE_PATHS = {name: list(positions(document)) for name, document in SAMPLE_DOCUMENTS.items()}
# The keys the importer reads: half the mutations aim at these, where damage shows.
READ_KEYS = {
    "acronym", "title", "time_zone_name", "start", "days", "rooms", "date", "day_start",
    "guid", "slug", "duration", "end", "abstract", "description", "room", "type", "url",
    "track", "language", "persons", "name", "public_name", "links", "version",
}  # fmt: skip
READ_PATHS = {
    name: [path for path in paths if path and path[-1] in READ_KEYS]
    for name, paths in SAMPLE_PATHS.items()
}


def at(document: Any, path: tuple[object, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def chance(draw: st.DrawFn) -> random.Random:
    """A Random seeded by hypothesis: choices spread evenly over the samples' thousands of
    spots (hypothesis's own draws favour the first ones), yet derandomized and replayable."""
    return draw(st.randoms(use_true_random=False))


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """(a mutated schedule document, the sample it came from)."""
    rnd = chance(draw)
    name = rnd.choice(JSON_SAMPLES)
    document = copy.deepcopy(SAMPLE_DOCUMENTS[name])
    for _ in range(rnd.randint(1, 3)):
        path = rnd.choice(READ_PATHS[name] if rnd.random() < 0.7 else SAMPLE_PATHS[name])
        operation = rnd.choice(("replace", "replace", "delete", "duplicate guid"))
        try:
            parent = at(document, path[:-1])
            if operation == "replace":
                parent[path[-1]] = rnd.choice(HOSTILE_VALUES)
            elif operation == "delete":
                del parent[path[-1]]
            else:
                guids = event_paths(SAMPLE_PATHS[name])
                at(document, rnd.choice(guids)[:-1])["guid"] = at(document, rnd.choice(guids))
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed or retyped this spot: fine, keep going
    return document, name


@st.composite
def text_mutations(draw: st.DrawFn, text: str) -> bytes:
    """`text` as UTF-8, then cut short, given a bad byte or a prefix, or left alone."""
    rnd = chance(draw)
    raw = text.encode("utf-8", errors="surrogatepass")
    operation = rnd.choices(("none", "truncate", "bad byte", "prefix"), (5, 3, 2, 1))[0]
    if operation == "truncate":
        raw = raw[: rnd.randint(0, len(raw))]
    elif operation == "bad byte" and raw:
        spot = rnd.randint(0, len(raw) - 1)
        bad = rnd.choice((b"\xff", b"\xc3", b"\x00", b"\xed\xa0\x80"))
        raw = raw[:spot] + bad + raw[spot + 1 :]
    elif operation == "prefix":
        raw = rnd.choice((b"\xef\xbb\xbf", b"garbage ", b"\n\n", b"<!DOCTYPE x>")) + raw
    return raw


def export_text(document: dict[str, Any], as_xml: bool) -> str:
    if as_xml:
        try:
            text = schedule_xml_from_json(document)
        except (KeyError, TypeError, AttributeError, IndexError, ValueError):
            text = json.dumps(document)  # a shape the XML writer cannot express: JSON then
    else:
        text = json.dumps(document, indent=1)
    return text.replace(json.dumps(DEEP), DEEP_JSON).replace(DEEP, "<a>" * 3000 + "</a>" * 3000)


def assert_good_refusal(error: RecordError, path: Path, *, every_line: bool = False) -> None:
    """The refusal names the file, and every parse-level error also its line; with
    `every_line`, every refusal of a file that is not empty does."""
    assert error.path == str(path), error
    assert str(error).startswith(f"{path}"), error
    if error.message.startswith(("not valid", "not well-formed", "not UTF-8")):
        assert error.line is not None, error
    if every_line and path.stat().st_size:
        assert error.line is not None, error


def assert_encodable(value: object) -> None:
    """Every string in a record can be stored: UTF-8 holds it (no lone surrogate)."""
    if isinstance(value, str):
        value.encode("utf-8")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            assert_encodable(getattr(value, field.name))
    elif isinstance(value, tuple | list):
        for item in value:
            assert_encodable(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            assert_encodable(key)
            assert_encodable(item)


def import_outcome(path: Path) -> Conference | RecordError:
    """The import of `path`; what is accepted is sound (unique guids, times in range)."""
    try:
        conference = load_schedule(path, LIMITS)
    except RecordError as error:
        assert_good_refusal(error, path, every_line=True)
        return error
    assert_encodable(conference)
    guids = [talk.guid for talk in conference.talks if talk.guid]
    assert len(guids) == len(set(guids))
    for talk in conference.talks:
        for moment in (talk.starts_at, talk.ends_at):
            assert moment is None or in_calendar(moment.astimezone(UTC))
    return conference


@pytest.mark.samples(
    "samples/frab-camp2019.json", "samples/pretalx-rc3.json", "samples/pretalx-democon.json"
)
@settings(FUZZ, max_examples=200)
@given(mutation=mutated_documents(), as_xml=st.booleans(), data=st.data())
def test_no_mutated_export_escapes_as_anything_but_a_record_error(
    mutation: tuple[dict[str, Any], str], as_xml: bool, data: st.DataObject
) -> None:
    document, _ = mutation
    raw = data.draw(text_mutations(export_text(document, as_xml)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("schedule.xml" if as_xml else "schedule.json")
        path.write_bytes(raw)
        import_outcome(path)


class Pristine:
    """A database holding the bundled data and one import, copied fresh for each example."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="confbot-fuzz-"))
        self.file = self.folder / "pristine.sqlite3"
        self.copies = 0
        asyncio.run(self._fill())
        assert not Path(f"{self.file}-wal").exists()  # closed: everything is in the file
        self.dump = dump(self.file)

    async def _fill(self) -> None:
        async with await Database.open(self.file) as db:
            await load_data_dir(db, BUNDLED_DATA)
            camp = load_schedule(SAMPLES / "frab-camp2019.json")
            await import_conference(db, camp, origin="import:frab-camp2019.json")

    def copy(self, name: str) -> Path:
        """A fresh copy under a new name, so no earlier example's connection or write-ahead
        log can touch it."""
        self.copies += 1
        target = self.folder / f"{self.copies}-{name}"
        shutil.copyfile(self.file, target)
        return target


@pytest.fixture(scope="module")
def pristine() -> Iterator[Pristine]:
    database = Pristine()
    yield database
    shutil.rmtree(database.folder, ignore_errors=True)


async def _import(db_file: Path, conference: Conference) -> RecordError | None:
    async with await Database.open(db_file) as db:
        try:
            await import_conference(db, conference, origin="import:fuzz.json")
        except RecordError as error:
            return error
    return None


@pytest.mark.samples(
    "samples/frab-camp2019.json", "samples/pretalx-rc3.json", "samples/pretalx-democon.json"
)
@settings(FUZZ, max_examples=40)
@given(
    mutation=mutated_documents(),
    as_xml=st.booleans(),
    aim=st.sampled_from((None, "normconf-2022", "Camp2019")),
)
def test_a_refused_import_leaves_the_database_byte_identical(
    pristine: Pristine, mutation: tuple[dict[str, Any], str], as_xml: bool, aim: str | None
) -> None:
    document, _ = mutation
    # Some examples aim at the conferences already there (the data folder's, the import's).
    schedule = document.get("schedule")
    conference = schedule.get("conference") if isinstance(schedule, dict) else None
    if aim and isinstance(conference, dict):
        conference["acronym"] = aim
    db_file = pristine.copy("import.sqlite3")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.json"
        path.write_text(export_text(document, as_xml), encoding="utf-8", errors="surrogatepass")
        outcome = import_outcome(path)
        if isinstance(outcome, RecordError):
            assert dump(db_file) == pristine.dump
            return
        refused = asyncio.run(_import(db_file, outcome))
    if refused is not None:
        assert refused.path == str(path) and refused.field
        assert dump(db_file) == pristine.dump


# -- data folders ---------------------------------------------------------------------------

TALK_FILES = sorted(p.relative_to(BUNDLED_DATA) for p in BUNDLED_DATA.glob("*/*.toml"))
TOML_VALUES = (
    "1",
    "99999999999999999999999",
    "-1e400",
    "[1, 2]",
    '["a", "a"]',
    "[]",
    '"x"',
    '""',
    "{a = 1}",
    "true",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-12:00",
    "2022-12-15T16:00:00",
    "2022-12-15",
    "12:00:00",
    '"\\u0000.txt"',
    '"../x.txt"',
    '"""cut',
    "[" * 5000 + "]" * 5000,
)
TOML_LINES = (
    "unknown = 1",
    "nuggets = [1, 2]",
    "nuggets = 'x'",
    "[[nuggets]]",
    "[nuggets]",
    'transcript = "missing.vtt"',
    'transcript = "../tumocon-2023/x.txt"',
    'kind = "keynot"',
    "= oops",
    "year = 99999999999999999999",
    'timezone = "' + "a" * 300 + '"',
)


def replace_with_symlink_loop(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.name)


def replace_with_dangling_symlink(path: Path) -> None:
    path.unlink()
    path.symlink_to("nowhere.toml")


def replace_with_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


ENTRY_MUTATIONS: tuple[Callable[[Path], None], ...] = (
    replace_with_symlink_loop,
    replace_with_dangling_symlink,
    replace_with_folder,
    Path.unlink,
)


@st.composite
def folder_mutations(draw: st.DrawFn) -> Callable[[Path], Path]:
    """A change to a copy of the data folder; applied, it returns the file it touched."""
    rnd = chance(draw)
    relative = rnd.choice(TALK_FILES)
    kind = rnd.choice(("value", "value", "line", "bytes", "entry", "transcript"))
    lines = (BUNDLED_DATA / relative).read_text(encoding="utf-8").splitlines()
    assignments = [n for n, text in enumerate(lines) if "=" in text] or [0]
    index = rnd.choice(assignments) if kind == "value" else rnd.randint(0, len(lines))
    value = rnd.choice(TOML_VALUES)
    line = rnd.choice(TOML_LINES)
    entry = rnd.choice(ENTRY_MUTATIONS)
    text_change = draw(text_mutations("\n".join(lines) + "\n"))

    def apply(root: Path) -> Path:
        path = root / relative
        if path.is_symlink() or not path.is_file():
            return path  # an earlier mutation already made it something else
        changed = list(lines)
        if kind == "value" and index < len(changed) and "=" in changed[index]:
            changed[index] = changed[index].split("=", 1)[0] + "= " + value
            path.write_text("\n".join(changed) + "\n", encoding="utf-8")
        elif kind == "line":
            changed.insert(index, line)
            path.write_text("\n".join(changed) + "\n", encoding="utf-8")
        elif kind == "bytes":
            path.write_bytes(text_change)
        elif kind == "entry":
            entry(path)
        else:
            transcripts = sorted(path.parent.glob("*.txt"))
            if transcripts:
                transcripts[0].write_bytes(b"\xff\xfe" + text_change)
                return transcripts[0]
        return path

    return apply


def data_copy_in(folder: str) -> Path:
    root = Path(folder) / "data"
    shutil.copytree(BUNDLED_DATA, root)
    return root


def assert_names_a_data_file(error: RecordError, root: Path, touched: list[Path]) -> None:
    """The refusal names a file in the folder, and its line when it is a readable file; a
    parse error is in a file the mutations changed."""
    assert error.path.startswith(str(root)), error
    assert str(error).startswith(error.path), error
    if file_problem(Path(error.path)) is None:
        assert error.line is not None, error
    if error.message.startswith(("not valid", "not UTF-8")):
        assert error.path in {str(path) for path in touched}, error


@settings(FUZZ, max_examples=100)
@given(mutations=st.lists(folder_mutations(), min_size=1, max_size=2))
def test_no_mutated_data_folder_escapes_as_anything_but_a_record_error(
    mutations: list[Callable[[Path], Path]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = data_copy_in(folder)
        touched = [mutate(root) for mutate in mutations]
        try:
            read_data_dir(root)
        except RecordError as error:
            assert_names_a_data_file(error, root, touched)


async def _load(db_file: Path, root: Path) -> RecordError | None:
    async with await Database.open(db_file) as db:
        try:
            await load_data_dir(db, root)
        except RecordError as error:
            return error
    return None


@pytest.mark.samples(
    "samples/bornhack2021-how-to-open-source-your-code-properly.srt",
    "samples/frab-camp2019.json",
    "samples/pretalx-rc3.json",
    "samples/pretalx-democon.json",
)
@settings(FUZZ, max_examples=25)
@given(mutate=folder_mutations())
def test_a_refused_data_load_leaves_the_database_byte_identical(
    pristine: Pristine, mutate: Callable[[Path], Path]
) -> None:
    db_file = pristine.copy("load.sqlite3")
    with tempfile.TemporaryDirectory() as folder:
        root = data_copy_in(folder)
        # The pristine database was loaded from BUNDLED_DATA: the same files, another path.
        touched = mutate(root)
        refused = asyncio.run(_load(db_file, root))
        if refused is not None:
            assert_names_a_data_file(refused, root, [touched])
            assert dump(db_file) == pristine.dump


# -- transcripts -----------------------------------------------------------------------------

SRT_TEXT = shared_bytes(f"samples/{SRT_SAMPLE.name}").decode("utf-8")[:6000]
TIMING_VALUES = (
    "99999999999999999999:00:00,000",
    "00:00:99,999",
    "-1:00:00,000",
    "00:00:01.000",
    "",
    "-->",
)


@settings(FUZZ, max_examples=120)
@given(
    vtt=st.booleans(),
    line=st.integers(0, 200),
    value=st.sampled_from(TIMING_VALUES),
    data=st.data(),
)
def test_no_mutated_transcript_escapes_as_anything_but_a_record_error(
    vtt: bool, line: int, value: str, data: st.DataObject
) -> None:
    lines = (VTT_SAMPLE if vtt else SRT_TEXT).splitlines()
    if line < len(lines) and "-->" in lines[line]:
        start, _, end = lines[line].partition(" --> ")
        lines[line] = f"{value} --> {end}" if data.draw(st.booleans()) else f"{start} --> {value}"
    elif line < len(lines):
        lines[line] = value
    raw = data.draw(text_mutations("\n".join(lines) + "\n"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("talk.vtt" if vtt else "talk.srt")
        path.write_bytes(raw)
        try:
            parse_transcript(path)
        except RecordError as error:
            assert_good_refusal(error, path)
