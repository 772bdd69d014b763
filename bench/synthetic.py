"""A synthetic data folder in the bundled format: `python -m bench.synthetic OUT --talks 10000`.

Deterministic (seeded): the same arguments always write the same files. Talks get 80-word
summaries from a fixed vocabulary, two-word speaker names, and ten nuggets each by default
(10,000 talks -> 100,000 nuggets), spread over ten conferences.
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


def toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_dataset(out: Path, *, talks: int, nuggets_per_talk: int = 10, seed: int = 42) -> None:
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
    args = parser.parse_args(argv)
    write_dataset(args.out, talks=args.talks, nuggets_per_talk=args.nuggets_per_talk)
    print(f"wrote {args.talks} talks to {args.out}")


if __name__ == "__main__":
    main()
