"""/search corrects a misspelt word the way /talk does, and says so."""

from __future__ import annotations

from bot.core import Core


async def test_a_misspelt_search_shows_the_results_for_the_corrected_word(core: Core) -> None:
    assert (await core.talk("dockr")).title == "How small can I get that Docker container?"

    answer = await core.ask("/search dockr")

    assert answer.kind == "search" and answer.found
    assert answer.text.startswith("Nothing for “dockr”; showing results for “docker”.")
    assert answer.choices[0].label == "How small can I get that Docker container?"


async def test_a_correct_search_has_no_correction_note(core: Core) -> None:
    answer = await core.ask("/search docker")
    assert answer.kind == "search" and "showing results for" not in answer.text


async def test_a_word_with_no_near_neighbour_still_finds_nothing(core: Core) -> None:
    answer = await core.ask("/search kubernets")  # no talk here mentions Kubernetes
    assert answer.kind == "not_found" and "kubernets" in answer.text


async def test_the_correction_keeps_the_conference(core: Core) -> None:
    answer = await core.ask("/search dockr --conference tumocon-2023")
    assert answer.kind == "not_found"  # the Docker talk is at NormConf
