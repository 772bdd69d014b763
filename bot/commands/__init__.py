"""The commands: one declaration each (`table.COMMANDS`), typed parameters, handlers, and the
`Invocation` every follow-up carries. Kept import-free so `bot.answer` can use `invocation`."""
