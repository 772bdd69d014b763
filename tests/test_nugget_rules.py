"""The pure rules of community nuggets: the normal form, lengths, transcripts, chat markup."""

from __future__ import annotations

from bot.nugget_rules import (
    MAX_LENGTH,
    TranscriptMatch,
    discord_link,
    find_in_transcript,
    length_problem,
    normalised,
    slack_link,
    slack_plain,
    timestamp,
)


def test_case_punctuation_apostrophes_and_filler_words_do_not_count() -> None:
    assert normalised("Um, it's NOT sexy -- it's  real work!") == normalised(
        "its not sexy. Its real, uh, work"
    )
    assert normalised("Airflow is fancy crontab") != normalised("Airflow is not fancy crontab")


def test_lengths_are_limited_at_both_ends() -> None:
    assert length_problem("Short") is not None
    assert length_problem("?! ... !!") is not None
    assert length_problem("Airflow is basically fancy crontab.") is None
    too_long = length_problem("word " * (MAX_LENGTH // 4))
    assert too_long is not None and str(MAX_LENGTH) in too_long


CUES = [
    (0, "Hey everybody."),
    (61_000, "Airflow is basically, um, fancy"),
    (64_500, "crontab. It's a way to schedule"),
]


def test_a_quote_is_found_across_cues_with_the_time_of_its_first_cue() -> None:
    match = find_in_transcript("Airflow is basically fancy crontab", None, CUES)
    assert match == TranscriptMatch(True, 61_000)
    assert match.describe() == "found in the transcript at 1:01"
    assert find_in_transcript("crontab, it's a way", None, CUES) == TranscriptMatch(True, 64_500)
    missing = find_in_transcript("Airflow is slow", None, CUES)
    assert missing == TranscriptMatch(False) and "not found" in missing.describe()


def test_a_plain_transcript_says_found_without_a_time_and_none_without_one() -> None:
    text = "So Airflow is basically fancy crontab. Thank you."
    assert find_in_transcript("airflow is BASICALLY fancy crontab!", text) == TranscriptMatch(True)
    assert find_in_transcript("fancy cron", text) == TranscriptMatch(False)  # words, not letters
    assert find_in_transcript("anything at all", None) is None
    assert timestamp(3_723_000) == "1:02:03"


def test_slack_markup_becomes_plain_words_that_cannot_ping() -> None:
    text = (
        "<!everyone> <!here> <!subteam^S1|@team> <@U1|ada> <#C1|general> <https://x.org|x> "
        "&lt;b&gt;"
    )
    assert slack_plain(text) == "@everyone @here @team @ada #general x <b>"
    assert "<!" not in slack_plain("<!channel> hi")


def test_links_to_messages() -> None:
    assert discord_link("1", "2", "3") == "https://discord.com/channels/1/2/3"
    assert discord_link("", "2", "3") == "https://discord.com/channels/@me/2/3"
    assert slack_link("conf", "C1", "1712345678.000100") == (
        "https://conf.slack.com/archives/C1/p1712345678000100"
    )
