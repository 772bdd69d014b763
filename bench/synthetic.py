"""A synthetic data folder in the bundled format: `python -m bench.synthetic OUT --talks 10000`.

Deterministic (seeded): the same arguments always write the same files. Talks get 80-word
summaries from a fixed vocabulary, two-word speaker names, and ten nuggets each by default
(10,000 talks -> 100,000 nuggets), spread over ten conferences. With `--transcript-words N`
each talk also gets a timed SRT transcript of N words that reads like speech: the common
English words ("you", "the", "and") make up most of it, as in a real talk.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

FIRST = [
    "ada",
    "alan",
    "barbara",
    "claude",
    "donald",
    "edsger",
    "frances",
    "grace",
    "guido",
    "hedy",
    "ivan",
    "james",
    "joan",
    "ken",
    "linus",
    "margaret",
    "niklaus",
    "radia",
    "shafi",
    "tim",
    "vint",
    "whitfield",
    "yukihiro",
    "zhang",
    "vicki",
    "vincent",
]
LAST = [
    "lovelace",
    "turing",
    "liskov",
    "shannon",
    "knuth",
    "dijkstra",
    "allen",
    "hopper",
    "rossum",
    "lamarr",
    "sutherland",
    "gosling",
    "clarke",
    "thompson",
    "torvalds",
    "hamilton",
    "wirth",
    "perlman",
    "goldwasser",
    "berners",
    "cerf",
    "diffie",
    "matsumoto",
    "boykis",
    "warmerdam",
]


def vocabulary(size: int, rng: random.Random) -> list[str]:
    syllables = [
        "ka",
        "lo",
        "mi",
        "ne",
        "ru",
        "sa",
        "te",
        "vo",
        "xi",
        "za",
        "bo",
        "cu",
        "di",
        "fa",
        "ge",
        "hi",
        "jo",
        "ku",
        "le",
        "ma",
    ]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


# Spoken English: the words a transcript is mostly made of, most frequent first.
_SPOKEN_TEXT = (
    "the you and to a of that it is i we so this in what for be on have can do they just "
    "like know there with but are not think was your all data if about one or at people "
    "get really how go because going want some right very then thing my see more"
)
SPOKEN = _SPOKEN_TEXT.split()
WORDS_PER_CUE = 10


def transcript_srt(rng: random.Random, words: list[str], count: int) -> str:
    """An SRT transcript of `count` words: spoken words weighted like speech (Zipf), with a
    word of the talk's vocabulary now and then; one cue per WORDS_PER_CUE words, 3 s each."""
    weights = [1 / (rank + 1) for rank in range(len(SPOKEN))]
    said = rng.choices(SPOKEN, weights, k=count)
    for position in range(0, count, 7):
        said[position] = rng.choice(words)
    cues = []
    for number, start in enumerate(range(0, count, WORDS_PER_CUE), start=1):
        begin, end = number * 3 - 3, number * 3
        cues.append(
            f"{number}\n{_srt_time(begin)} --> {_srt_time(end)}\n"
            + " ".join(said[start : start + WORDS_PER_CUE])
            + "\n"
        )
    return "\n".join(cues)


def _srt_time(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d},000"


def toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_dataset(
    out: Path,
    *,
    talks: int,
    nuggets_per_talk: int = 10,
    seed: int = 42,
    transcript_words: int = 0,
) -> None:
    rng = random.Random(seed)
    words = vocabulary(2000, rng)
    conferences = 10
    for number in range(conferences):
        folder = out / f"synthconf-{number:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "conference.toml").write_text(
            f'name = "SynthConf {number}"\nyear = {2000 + number}\n', encoding="utf-8"
        )
    for index in range(talks):
        folder = out / f"synthconf-{index % conferences:02d}"
        title = " ".join(rng.choice(words) for _ in range(rng.randint(3, 7))).capitalize()
        speaker = f"{rng.choice(FIRST).title()} {rng.choice(LAST).title()} {index // 500}"
        summary = " ".join(rng.choice(words) for _ in range(80)) + "."
        lines = [
            f"title = {toml_string(title)}",
            f"speakers = [{toml_string(speaker)}]",
            f"summary = {toml_string(summary)}",
            'source = "synthetic"',
        ]
        if transcript_words:
            transcript = f"talk-{index:05d}.srt"
            (folder / transcript).write_text(
                transcript_srt(rng, words, transcript_words), encoding="utf-8"
            )
            lines += [f"transcript = {toml_string(transcript)}", 'transcript_source = "synthetic"']
        for nugget in range(nuggets_per_talk):
            text = " ".join(rng.choice(words) for _ in range(12)).capitalize() + f" {nugget}."
            lines += [
                "",
                "[[nuggets]]",
                f"text = {toml_string(text)}",
                f"speaker = {toml_string(speaker)}",
                'source = "synthetic"',
            ]
        (folder / f"talk-{index:05d}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--talks", type=int, default=10_000)
    parser.add_argument("--nuggets-per-talk", type=int, default=10)
    parser.add_argument("--transcript-words", type=int, default=0)
    args = parser.parse_args(argv)
    write_dataset(
        args.out,
        talks=args.talks,
        nuggets_per_talk=args.nuggets_per_talk,
        transcript_words=args.transcript_words,
    )
    print(f"wrote {args.talks} talks to {args.out}")


if __name__ == "__main__":
    main()
