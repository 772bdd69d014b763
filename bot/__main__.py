"""`python -m bot` is the same as `confbot`."""

from bot.cli import main

raise SystemExit(main())
