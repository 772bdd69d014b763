"""The bundled talk records in data/ say only what their seed texts say.

The seeds live outside the repository, in `shared/seeds/` beside the clone:

* `001_*.txt`: the Adventure Code blog post "Nuggets of Wisdom - from NormConf 2022";
* `004_*.txt`: the Whisper transcript of Vicki Boykis's keynote "An ML Fairytale";
* `000_*.txt`: the TuMoCon 2023 closing address, a generated article (not used: it embellishes)
  followed by the real caption transcript.

Every record is checked against them: titles and speakers verbatim, every nugget a verbatim
passage of its source, summaries in our own words, no invented people, transcripts unaltered.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

NORMCONF = DATA / "normconf-2022"
TUMOCON = DATA / "tumocon-2023"

BLOG_SOURCE = "Adventure Code blog: Nuggets of Wisdom - from NormConf 2022"
KEYNOTE_SOURCE = "An ML Fairytale keynote transcript (Whisper large-v2)"
CAPTIONS_SOURCE = "TuMoCon 2023 closing address captions"

KEYNOTE_HEADER = "An ML Fairytale - Vicki Boykis, Keynote\n\n"
KEYNOTE_GENERATED_BY = "Transcript generated with OpenAI Whisper large-v2.\n\n"
CAPTIONS_OPENING = '"WEBVTTKind: captionsLanguage: en'
CAPTIONS_CLOSING = '\\n"'

CONFERENCE_KEYS = {"name", "year", "url", "timezone", "description"}
TALK_KEYS = {
    "title",
    "speakers",
    "speaker_note",
    "kind",
    "summary",
    "source",
    "url",
    "transcript",
    "transcript_source",
    "starts_at",
    "ends_at",
    "room",
    "track",
    "language",
    "nuggets",
}
NUGGET_KEYS = {"text", "speaker", "source"}
KINDS = {"talk", "keynote", "closing", "unconference", "lightning", "workshop", "other"}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# A blog heading is "Firstname Lastname - Title" on its own line, followed by an image.
# The speaker part is capitalised words only, so the post's own title
# ("Nuggets of Wisdom - from NormConf 2022") is not mistaken for a talk.
BLOG_HEADING = re.compile(r"^(?P<speaker>[A-Z][\w'.-]*(?: [A-Z][\w'.-]*)+) - (?P<title>\S.*)$")
FILLER_WORDS = frozenset({"um", "uh"})
SENTENCE_END = re.compile(r"(?<=[.!?])[\"')]?\s+")
# Eight consecutive words shared with a seed means a sentence was copied, not rewritten.
COPIED_RUN = 8


# --- seeds -------------------------------------------------------------------------------------


def _seed(prefix: str) -> str:
    if not SEEDS.is_dir():
        pytest.fail(f"the seed texts are missing: expected them in {SEEDS}")
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    assert len(matches) == 1, f"expected exactly one seed {prefix}_*.txt in {SEEDS}"
    return matches[0].read_text(encoding="utf-8")


@cache
def blog() -> str:
    return _seed("001")


@cache
def keynote_seed() -> str:
    return _seed("004")


@cache
def closing_seed() -> str:
    return _seed("000")


@cache
def keynote_transcript() -> str:
    """The keynote seed without its title line and its "Transcript generated with" line."""
    text = keynote_seed()
    assert text.startswith(KEYNOTE_HEADER + KEYNOTE_GENERATED_BY)
    return text.removeprefix(KEYNOTE_HEADER + KEYNOTE_GENERATED_BY)


@cache
def captions() -> str:
    """The caption words of the closing address: the quoted string after the article."""
    text = closing_seed()
    start = text.index(CAPTIONS_OPENING)
    quoted = text[start:].rstrip()
    assert quoted.endswith(CAPTIONS_CLOSING)
    return quoted[len(CAPTIONS_OPENING) : -len(CAPTIONS_CLOSING)]


@cache
def all_seeds() -> str:
    return "\n".join((blog(), keynote_seed(), closing_seed()))


@dataclass(frozen=True)
class BlogSection:
    speaker: str
    title: str
    body: str


@cache
def blog_sections() -> tuple[BlogSection, ...]:
    """The talks the blog post lists, each with the paragraph written under its heading."""
    lines = blog().splitlines()
    starts: list[tuple[int, re.Match[str]]] = []
    for number, line in enumerate(lines):
        match = BLOG_HEADING.match(line.strip())
        following = [later.strip() for later in lines[number + 1 :] if later.strip()]
        if match and following and following[0] == "alt text":
            starts.append((number, match))
    sections = []
    for index, (number, match) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(lines)
        body = "\n".join(lines[number + 1 : end]).replace("alt text", "").strip()
        sections.append(BlogSection(match["speaker"], match["title"], body))
    return tuple(sections)


# --- text helpers ------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lowercase words without punctuation, filler ("um", "uh") or immediate repeats.

    Apostrophes vanish inside words ("don't" -> "dont", "lot's" -> "lots"); every other
    non-alphanumeric character separates words ("multi-party" -> "multi party").
    """
    text = re.sub(r"['’]", "", text.lower())
    words = [word for word in re.split(r"[^a-z0-9]+", text) if word and word not in FILLER_WORDS]
    kept: list[str] = []
    for word in words:
        if not kept or kept[-1] != word:
            kept.append(word)
    return " ".join(kept)


def is_verbatim(passage: str, source: str) -> bool:
    """Whether `passage` is a run of whole words of `source`, once both are normalised."""
    needle = normalise(passage)
    return bool(needle) and f" {needle} " in f" {normalise(source)} "


def sentences(text: str) -> list[str]:
    return [part for part in SENTENCE_END.split(" ".join(text.split())) if part.strip()]


def copied_runs(ours: str, seed: str, length: int = COPIED_RUN) -> list[str]:
    """Runs of `length` normalised words of `ours` that also occur in `seed`."""
    words = normalise(ours).split()
    haystack = f" {normalise(seed)} "
    runs = (" ".join(words[i : i + length]) for i in range(len(words) - length + 1))
    return [run for run in runs if f" {run} " in haystack]


def capitalised_names(text: str) -> set[str]:
    """Capitalised words that do not start a sentence or a clause: the candidates for names."""
    names: set[str] = set()
    for sentence in sentences(text):
        for clause in re.split(r"[:;(]\s*", sentence):
            found = re.findall(r"[A-Za-z][\w'’-]*", clause)
            words = [re.sub(r"['’]s$", "", word) for word in found]
            names.update(word for word in words[1:] if word[0].isupper() and word != "I")
    return names


def mentions(seed: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", seed.lower()) is not None


def slug_words(title: str) -> str:
    """'What's the simplest possible thing...' -> 'whats-the-simplest-possible-thing-...'."""
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"['’]", "", title.lower())).strip("-")


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NuggetRecord:
    text: str
    speaker: str | None
    source: str


@dataclass(frozen=True)
class TalkRecord:
    path: Path
    keys: frozenset[str]
    title: str
    speakers: tuple[str, ...]
    speaker_note: str | None
    kind: str
    summary: str
    source: str
    transcript: str | None
    transcript_source: str | None
    nuggets: tuple[NuggetRecord, ...]

    @property
    def slug(self) -> str:
        return self.path.stem

    def __str__(self) -> str:
        return str(self.path.relative_to(DATA))


def _string(table: dict[str, object], key: str, where: Path) -> str:
    value = table.get(key)
    assert isinstance(value, str) and value.strip(), f"{where}: '{key}' must be a non-empty string"
    return value


def _optional_string(table: dict[str, object], key: str, where: Path) -> str | None:
    return _string(table, key, where) if key in table else None


def _nugget(table: object, where: Path) -> NuggetRecord:
    assert isinstance(table, dict), f"{where}: every [[nuggets]] entry must be a table"
    assert set(table) <= NUGGET_KEYS, f"{where}: unknown nugget keys {set(table) - NUGGET_KEYS}"
    return NuggetRecord(
        text=_string(table, "text", where),
        speaker=_optional_string(table, "speaker", where),
        source=_string(table, "source", where),
    )


def load_talk(path: Path) -> TalkRecord:
    with path.open("rb") as handle:
        table: dict[str, object] = tomllib.load(handle)
    speakers = table.get("speakers")
    assert isinstance(speakers, list), f"{path}: 'speakers' must be a list"
    assert all(isinstance(name, str) and name.strip() for name in speakers), path
    nuggets = table.get("nuggets", [])
    assert isinstance(nuggets, list), f"{path}: 'nuggets' must be an array of tables"
    return TalkRecord(
        path=path,
        keys=frozenset(table),
        title=_string(table, "title", path),
        speakers=tuple(str(name) for name in speakers),
        speaker_note=_optional_string(table, "speaker_note", path),
        kind=_optional_string(table, "kind", path) or "talk",
        summary=_string(table, "summary", path),
        source=_string(table, "source", path),
        transcript=_optional_string(table, "transcript", path),
        transcript_source=_optional_string(table, "transcript_source", path),
        nuggets=tuple(_nugget(nugget, path) for nugget in nuggets),
    )


def talk_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.glob("*.toml") if path.name != "conference.toml")


@cache
def talks(folder: Path) -> tuple[TalkRecord, ...]:
    return tuple(load_talk(path) for path in talk_files(folder))


def all_talks() -> tuple[TalkRecord, ...]:
    return talks(NORMCONF) + talks(TUMOCON)


def the_talk(folder: Path, slug: str) -> TalkRecord:
    (talk,) = [talk for talk in talks(folder) if talk.slug == slug]
    return talk


def load_conference(folder: Path) -> dict[str, object]:
    with (folder / "conference.toml").open("rb") as handle:
        return tomllib.load(handle)


def seed_for_nugget(nugget: NuggetRecord) -> str:
    """The seed text a nugget's `source` names; the closing article never counts."""
    if nugget.source == BLOG_SOURCE:
        return blog()
    if nugget.source == KEYNOTE_SOURCE:
        return keynote_transcript()
    if nugget.source == CAPTIONS_SOURCE:
        return captions()
    raise AssertionError(f"nugget source {nugget.source!r} names no known seed")


# --- the normaliser itself ---------------------------------------------------------------------


def test_the_normaliser_ignores_case_punctuation_filler_and_repeats() -> None:
    assert normalise("So, um, Airflow is -- basically basically FANCY crontab!") == (
        "so airflow is basically fancy crontab"
    )
    assert normalise("There is lot's of overlap") == "there is lots of overlap"
    assert normalise("the the big uh the takeaway") == "the big the takeaway"


@pytest.mark.samples("seeds/000_*.txt", "seeds/001_*.txt", "seeds/004_*.txt")
def test_the_verbatim_check_accepts_cleaned_quotes_and_rejects_paraphrases() -> None:
    source = "so um the the big takeaway there would be if that's what you're doing right now"
    assert is_verbatim("The big takeaway there would be, if that's what you're doing", source)
    assert not is_verbatim("The main takeaway there would be", source)
    assert not is_verbatim("The big takeaway would be", source)
    assert not is_verbatim("ig takeaway", source)
    assert is_verbatim("Airflow is basically fancy crontab.", keynote_transcript())
    assert not is_verbatim("Airflow is essentially fancy crontab.", keynote_transcript())
    assert not is_verbatim("Airflow is just fancy cron.", keynote_transcript())


# --- layout and shape --------------------------------------------------------------------------


def test_conference_folders_hold_a_conference_file_and_slug_named_talks() -> None:
    folders = sorted(path for path in DATA.iterdir() if path.is_dir())
    assert {NORMCONF, TUMOCON} <= set(folders)
    for folder in folders:
        assert SLUG.match(folder.name), f"{folder.name} is not a lowercase-hyphen slug"
        assert (folder / "conference.toml").is_file()
        for path in talk_files(folder):
            assert SLUG.match(path.stem), f"{path.name} is not a lowercase-hyphen slug"
            assert len(path.stem) <= 60, f"{path.name} is longer than 60 characters"
        for path in folder.iterdir():
            assert path.suffix == ".toml" or path.name.endswith(".transcript.txt"), path


@pytest.mark.samples("seeds/000_*.txt", "seeds/001_*.txt", "seeds/004_*.txt")
def test_conferences_have_a_name_year_and_description_and_nothing_the_seeds_lack() -> None:
    expected = {NORMCONF: ("NormConf 2022", 2022), TUMOCON: ("TuMoCon 2023", 2023)}
    for folder, (name, year) in expected.items():
        conference = load_conference(folder)
        assert set(conference) <= CONFERENCE_KEYS
        assert conference["name"] == name
        assert conference["year"] == year
        assert "url" not in conference and "timezone" not in conference
        description = conference.get("description")
        assert isinstance(description, str) and len(sentences(description)) >= 2
        assert copied_runs(description, all_seeds()) == [], f"{folder.name}: copied wording"


def test_every_talk_uses_only_documented_keys_and_invents_no_links_or_times() -> None:
    for talk in all_talks():
        assert talk.keys <= TALK_KEYS, f"{talk}: unknown keys {set(talk.keys) - TALK_KEYS}"
        assert talk.kind in KINDS, f"{talk}: unknown kind {talk.kind!r}"
        for invented in ("url", "starts_at", "ends_at", "room", "track"):
            assert invented not in talk.keys, f"{talk}: the seeds give no {invented}"


def test_talk_file_names_are_derived_from_the_titles() -> None:
    for talk in all_talks():
        full = slug_words(talk.title)
        assert full == talk.slug or full.startswith(talk.slug + "-"), f"{talk}: {full}"


# --- NormConf against the blog post ------------------------------------------------------------


@pytest.mark.samples("seeds/000_*.txt", "seeds/001_*.txt", "seeds/004_*.txt")
def test_the_blog_lists_ten_talks_as_speaker_title_headings() -> None:
    headings = [(section.speaker, section.title) for section in blog_sections()]
    assert len(headings) == 10
    assert headings[0] == ("Vicki Boykis", "Keynote")
    long_title = "I'd have written a shorter solution but I didn't have the time"
    assert ("James David Long", long_title) in headings


@pytest.mark.samples("seeds/000_*.txt", "seeds/001_*.txt", "seeds/004_*.txt")
def test_normconf_has_one_record_per_blog_heading() -> None:
    assert len(talks(NORMCONF)) == len(blog_sections())
    records = {
        (talk.speakers, "Keynote" if talk.kind == "keynote" else talk.title)
        for talk in talks(NORMCONF)
    }
    headings = {((section.speaker,), section.title) for section in blog_sections()}
    assert records == headings


@pytest.mark.samples("seeds/000_*.txt", "seeds/001_*.txt", "seeds/004_*.txt")
def test_normconf_speakers_and_titles_appear_verbatim_in_the_blog() -> None:
    for talk in talks(NORMCONF):
        for speaker in talk.speakers:
            assert speaker in blog(), f"{talk}: speaker {speaker!r} is not in the blog post"
        if talk.kind == "keynote":
            first_line = keynote_seed().splitlines()[0]
            assert first_line.startswith(f"{talk.title} - "), first_line
            assert f"{talk.speakers[0]} - Keynote" in blog()
        else:
            assert f"{talk.speakers[0]} - {talk.title}\n" in blog(), f"{talk}: title not verbatim"


def test_normconf_talks_cite_the_blog_and_the_keynote_its_transcript() -> None:
    for talk in talks(NORMCONF):
        if talk.kind == "keynote":
            assert "transcript" in talk.source.lower() and BLOG_SOURCE in talk.source
        else:
            assert talk.kind == "talk"
            assert talk.source == BLOG_SOURCE


@pytest.mark.samples("seeds/000_*.txt", "seeds/001_*.txt", "seeds/004_*.txt")
def test_blog_nuggets_quote_the_paragraph_under_their_own_talk() -> None:
    sections = {section.speaker: section for section in blog_sections()}
    for talk in talks(NORMCONF):
        for nugget in talk.nuggets:
            if nugget.source != BLOG_SOURCE:
                continue
            assert nugget.speaker == talk.speakers[0], f"{talk}: {nugget.text!r}"
            section = sections[talk.speakers[0]]
            assert is_verbatim(nugget.text, section.body), f"{talk}: {nugget.text!r}"


def test_the_keynote_nuggets_come_from_its_transcript_in_vicki_boykis_words() -> None:
    keynote = the_talk(NORMCONF, "an-ml-fairytale")
    assert keynote.title == "An ML Fairytale" and keynote.kind == "keynote"
    assert keynote.speakers == ("Vicki Boykis",)
    assert len(keynote.nuggets) >= 8
    for nugget in keynote.nuggets:
        assert nugget.source == KEYNOTE_SOURCE
        assert nugget.speaker == "Vicki Boykis"
    texts = [normalise(nugget.text) for nugget in keynote.nuggets]
    assert "airflow is basically fancy crontab" in texts


# --- TuMoCon against the closing captions ------------------------------------------------------


def test_tumocon_has_the_closing_address_and_four_unconference_reports() -> None:
    kinds = {talk.slug: talk.kind for talk in talks(TUMOCON)}
    assert kinds.pop("closing-address") == "closing"
    assert sorted(kinds.values()) == ["unconference"] * 4
    for talk in talks(TUMOCON):
        assert talk.source.startswith(CAPTIONS_SOURCE), f"{talk}: {talk.source!r}"


def test_tumocon_names_no_speakers_because_the_captions_name_only_reporters() -> None:
    for talk in talks(TUMOCON):
        assert talk.speakers == (), f"{talk}: the captions do not say who gave it"
    closing = the_talk(TUMOCON, "closing-address")
    assert closing.speaker_note is not None and "TWIML" in closing.speaker_note
    robert = the_talk(TUMOCON, "data-management").speaker_note
    assert robert is not None and "Robert" in robert and "organiser" in robert


@pytest.mark.samples("seeds/000_*.txt", "seeds/001_*.txt", "seeds/004_*.txt")
def test_tumocon_nuggets_quote_the_captions_not_the_generated_article() -> None:
    for talk in talks(TUMOCON):
        for nugget in talk.nuggets:
            assert nugget.source == CAPTIONS_SOURCE, f"{talk}: {nugget.source!r}"
            assert nugget.speaker in (None, "Robert", "John"), f"{talk}: {nugget.speaker!r}"
            assert is_verbatim(nugget.text, captions()), f"{talk}: {nugget.text!r}"


def test_reporters_quoted_in_a_nugget_are_named_in_the_speaker_note() -> None:
    for talk in all_talks():
        for nugget in talk.nuggets:
            if nugget.speaker is None or nugget.speaker in talk.speakers:
                continue
            assert talk.speaker_note is not None and nugget.speaker in talk.speaker_note, (
                f"{talk}: {nugget.speaker} is quoted but the speaker note does not say who they are"
            )


# --- rules for every record --------------------------------------------------------------------


@pytest.mark.samples("seeds/000_*.txt", "seeds/001_*.txt", "seeds/004_*.txt")
def test_every_nugget_is_a_verbatim_passage_of_its_source_seed() -> None:
    for talk in all_talks():
        for nugget in talk.nuggets:
            seed = seed_for_nugget(nugget)
            assert is_verbatim(nugget.text, seed), f"{talk}: not verbatim: {nugget.text!r}"


def test_every_nugget_is_short_a_sentence_or_two() -> None:
    for talk in all_talks():
        for nugget in talk.nuggets:
            assert 1 <= len(sentences(nugget.text)) <= 2, f"{talk}: {nugget.text!r}"
            assert 3 <= len(nugget.text.split()) <= 45, f"{talk}: {nugget.text!r}"
            assert nugget.text[0].isupper() and nugget.text[-1] in ".!?", nugget.text


def test_nugget_counts_follow_the_rules_for_each_kind() -> None:
    bounds = {"talk": (2, 4), "keynote": (8, 20), "closing": (2, 4), "unconference": (1, 3)}
    for talk in all_talks():
        low, high = bounds[talk.kind]
        assert low <= len(talk.nuggets) <= high, f"{talk}: {len(talk.nuggets)} nuggets"
        texts = [normalise(nugget.text) for nugget in talk.nuggets]
        assert len(set(texts)) == len(texts), f"{talk}: a nugget is repeated"


@pytest.mark.samples("seeds/000_*.txt", "seeds/001_*.txt", "seeds/004_*.txt")
def test_summaries_are_three_to_six_sentences_in_our_own_words() -> None:
    for talk in all_talks():
        count = len(sentences(talk.summary))
        assert 3 <= count <= 6, f"{talk}: summary has {count} sentences"
        assert copied_runs(talk.summary, all_seeds()) == [], f"{talk}: summary copies the seed"


def test_every_speakerless_talk_says_who_spoke_as_far_as_the_seed_tells() -> None:
    for talk in all_talks():
        if not talk.speakers:
            assert talk.speaker_note, f"{talk}: no speakers and no speaker_note"


@pytest.mark.samples("seeds/000_*.txt", "seeds/001_*.txt", "seeds/004_*.txt")
def test_no_record_names_a_person_the_seeds_do_not_mention() -> None:
    seeds = all_seeds()
    for talk in all_talks():
        people = set(talk.speakers) | {n.speaker for n in talk.nuggets if n.speaker is not None}
        for person in people:
            assert mentions(seeds, person), f"{talk}: {person!r} does not appear in the seeds"
        prose = " ".join(filter(None, (talk.summary, talk.speaker_note)))
        for word in capitalised_names(prose):
            assert word.lower() in seeds.lower(), f"{talk}: {word!r} does not appear in the seeds"
    for folder in (NORMCONF, TUMOCON):
        description = load_conference(folder).get("description")
        assert isinstance(description, str)
        for word in capitalised_names(description):
            assert word.lower() in seeds.lower(), f"{folder.name}: {word!r} is not in the seeds"


# --- transcripts -------------------------------------------------------------------------------


def test_transcripts_sit_beside_their_talks_with_their_provenance() -> None:
    with_transcripts = {talk.slug for talk in all_talks() if talk.transcript is not None}
    assert with_transcripts == {"an-ml-fairytale", "closing-address"}
    for talk in all_talks():
        if talk.transcript is not None:
            assert talk.transcript == f"{talk.slug}.transcript.txt"
            assert (talk.path.parent / talk.transcript).is_file()
            assert talk.transcript_source, f"{talk}: transcript without transcript_source"


@pytest.mark.samples("seeds/000_*.txt", "seeds/001_*.txt", "seeds/004_*.txt")
def test_the_keynote_transcript_is_the_seed_text_without_its_header_lines() -> None:
    keynote = the_talk(NORMCONF, "an-ml-fairytale")
    assert keynote.transcript_source is not None
    assert "Whisper large-v2" in keynote.transcript_source
    saved = (NORMCONF / "an-ml-fairytale.transcript.txt").read_text(encoding="utf-8")
    assert saved.removesuffix("\n") == keynote_transcript()
    assert saved.startswith("Hey, everybody. Welcome to NormConf.")


@pytest.mark.samples("seeds/000_*.txt", "seeds/001_*.txt", "seeds/004_*.txt")
def test_the_closing_transcript_is_the_caption_text_uncorrected() -> None:
    closing = the_talk(TUMOCON, "closing-address")
    assert closing.transcript_source is not None
    assert "WebVTT" in closing.transcript_source and "timings" in closing.transcript_source
    saved = (TUMOCON / "closing-address.transcript.txt").read_text(encoding="utf-8")
    assert saved.removesuffix("\n") == captions()
    assert saved.startswith("all right everyone file on in")
    assert saved.removesuffix("\n").endswith("being part of the first event thank you")
    assert "WEBVTT" not in saved and '"' not in saved and "\\n" not in saved
