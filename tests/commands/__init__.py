"""Tests of bot/commands: the table, parameters, invocations and follow-ups."""
