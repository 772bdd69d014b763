"""Slash-command cogs: one module per feature, each loaded as an extension (`setup(bot)`)."""
