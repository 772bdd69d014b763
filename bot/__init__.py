"""confbot: a conference companion bot for Discord, Slack and the terminal."""
