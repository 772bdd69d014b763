"""Community nuggets on Slack, end to end: the real Bolt app over Socket Mode against the
fake Slack. The "Save as nugget" message shortcut (a `message_action` payload), /nugget
submit, and an admin's review with Approve and Reject buttons behind the admin gate."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import Core
from bot.frontends.slack import build_app
from tests.fakes.slack import FakeSlack, ResponsePost
from tests.frontends.slack.test_slack_e2e import header, settings_for, texts

FAIRYTALE = "normconf-2022/an-ml-fairytale"


@dataclass
class Team:
    fake: FakeSlack
    general: str
    alice: str  # a member
    bob: str  # a workspace admin


@pytest.fixture
async def team(core: Core) -> AsyncIterator[Team]:
    async with FakeSlack() as fake:
        general = fake.add_channel("general")
        alice, bob = fake.add_user("alice"), fake.add_user("bob", admin=True)
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        app = build_app(core, None, settings_for(fake, "socket", frozenset()), client)
        async with fake.socket_mode(app):
            yield Team(fake, general, alice, bob)


async def command(team: Team, text: str, user: str) -> ResponsePost:
    result = await team.fake.socket_slash_command(
        "/nugget", text, user_id=user, channel_id=team.general, wait_responses=1
    )
    assert result.acked
    return result.responses[-1]


async def click(team: Team, action_id: str, message: ResponsePost, user: str) -> ResponsePost:
    result = await team.fake.socket_block_action(
        action_id,
        user_id=user,
        channel_id=team.general,
        message=message,
        ephemeral=True,
        wait_responses=1,
    )
    assert result.acked
    return result.responses[-1]


def button(message: ResponsePost, label: str) -> str:
    for block in message.blocks:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["text"]["text"] == label:
                return str(element["action_id"])
    raise AssertionError(f"no {label!r} button")


async def test_the_message_shortcut_queues_the_words_with_the_permalink(team: Team) -> None:
    posted = team.fake.post_user_message(
        team.general,
        team.alice,
        "<!everyone> Airflow is, um, basically &lt;b&gt;cron&lt;/b&gt; &amp; more",
    )
    result = await team.fake.socket_message_shortcut(
        "save_as_nugget", posted, user_id=team.alice, channel_id=team.general, wait_responses=1
    )
    assert result.acked and result.ack is None
    queued = result.responses[-1]
    assert queued.ok and queued.response_type == "ephemeral"
    assert header(queued) == "Queued for review"
    dumped = json.dumps(queued.payload)
    assert "<!everyone>" not in dumped and "&lt;b&gt;cron&lt;/b&gt;" in dumped

    review = await command(team, "review", team.bob)
    link = f"archives/{team.general}/p{posted['ts'].replace('.', '')}"
    assert any(link in text for text in texts(review.payload))
    shown = "@everyone Airflow is, um, basically &lt;b&gt;cron&lt;/b&gt; &amp; more"
    assert any(shown in text for text in texts(review.payload))
    assert "<!everyone>" not in json.dumps(review.payload)


async def test_slash_submit_then_an_admin_approves_and_a_member_cannot(team: Team) -> None:
    words = "She took all the orders that were placed in the United States."
    queued = await command(team, f"submit {words} | {FAIRYTALE} | Vicki Boykis", team.alice)
    assert header(queued) == "Queued for review" and queued.response_type == "ephemeral"

    refused = await command(team, "review", team.alice)
    assert header(refused) == "Not allowed"
    review = await command(team, "review", team.bob)
    assert header(review) == "Nugget #1 (pending)"
    assert any("found in the talk's transcript" in text for text in texts(review.payload))
    member = await click(team, button(review, "Approve"), review, team.alice)
    assert header(member) == "Not allowed"
    approved = await click(team, button(review, "Approve"), review, team.bob)
    assert any("Approved #1" in text for text in texts(approved.payload))

    seen = set()
    for _ in range(25):
        reply = await command(team, f"--talk {FAIRYTALE}", team.alice)
        seen.update(texts(reply.payload))
    assert any("United States" in text for text in seen)


async def test_edit_opens_a_prefilled_modal_and_its_submission_edits_the_nugget(
    team: Team,
) -> None:
    posted = team.fake.post_user_message(
        team.general, team.alice, "She took all the orders that were placed in the United States"
    )
    await team.fake.socket_message_shortcut(
        "save_as_nugget", posted, user_id=team.alice, channel_id=team.general, wait_responses=1
    )
    review = await command(team, "review", team.bob)
    opened = await team.fake.socket_block_action(
        button(review, "Edit"),
        user_id=team.bob,
        channel_id=team.general,
        message=review,
        ephemeral=True,
    )
    assert opened.acked
    call = await team.fake.wait_for_call("views.open")
    assert call is not None
    [(view_id, view)] = team.fake.views.items()
    inputs = {block["block_id"]: block["element"] for block in view["blocks"]}
    assert inputs["text"]["initial_value"] == posted["text"]
    assert inputs["speaker"]["initial_value"] == "unattributed"
    assert "initial_value" not in inputs["talk"]

    member = await team.fake.socket_view_submission(
        view_id, {"talk": FAIRYTALE}, user_id=team.alice
    )
    assert member.acked
    await team.fake.wait_until(lambda: team.fake.ephemerals or None, 5.0, "an ephemeral answer")
    assert "Not allowed" in json.dumps(team.fake.ephemerals[-1])
    submitted = await team.fake.socket_view_submission(
        view_id, {"talk": FAIRYTALE, "speaker": "Vicki Boykis"}, user_id=team.bob
    )
    assert submitted.acked
    await team.fake.wait_until(
        lambda: len(team.fake.ephemerals) >= 2 or None, 5.0, "the edited review"
    )
    edited = json.dumps(team.fake.ephemerals[-1])
    assert "Edited #1" in edited and "An ML Fairytale" in edited and "Vicki Boykis" in edited
    assert "found in the talk" in edited


async def test_without_a_permalink_the_link_is_built_from_team_channel_and_ts(
    team: Team,
) -> None:
    posted = team.fake.post_user_message(
        team.general, team.alice, "Counting is most of the real work here."
    )
    team.fake.fail_next("chat.getPermalink", "internal_error")
    result = await team.fake.socket_message_shortcut(
        "save_as_nugget", posted, user_id=team.alice, channel_id=team.general, wait_responses=1
    )
    assert header(result.responses[-1]) == "Queued for review"
    asked = [c for c in team.fake.calls if c.method == "chat.getPermalink"]
    assert [(c.ok, c.error) for c in asked] == [(False, "internal_error")]
    review = await command(team, "review", team.bob)
    built = (
        f"https://{team.fake.team_domain}.slack.com/archives/{team.general}/"
        f"p{posted['ts'].replace('.', '')}"
    )
    assert any(built in text for text in texts(review.payload))
