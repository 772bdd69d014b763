"""Front ends: console, Discord and Slack. Each renders the core's Answers."""
