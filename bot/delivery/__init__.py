"""Everything the bot posts on its own (daily wisdom, talk reminders): the one post loop.

Platform-neutral: nothing here imports Discord or Slack. A front end builds its services and
hands them to one `Runner` (bot/delivery/runner.py), which runs them on the injected clock.
"""
