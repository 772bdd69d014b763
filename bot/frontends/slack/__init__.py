"""The Slack front end (slack-bolt, async): slash commands, buttons, the daily post and talk
reminders.

`serve(core, db, settings)` (serve.py) runs it in Socket Mode (SLACK_APP_TOKEN) or HTTP mode
(SLACK_SIGNING_SECRET, SLACK_PORT); `build_app` (app.py) builds the Bolt app alone (for
tests); `frontend` turns commands and clicks into `Core` calls behind the admin gate;
`blocks` renders Answers as Block Kit; `poster` posts daily wisdom and reminders with
chat.postMessage.
"""

from bot.frontends.slack.app import build_app
from bot.frontends.slack.connect import SlackStartupError
from bot.frontends.slack.serve import post_loop, serve

__all__ = ["SlackStartupError", "build_app", "post_loop", "serve"]
