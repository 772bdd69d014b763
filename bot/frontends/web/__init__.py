"""The organisers' web console: an aiohttp web server with server-rendered Jinja2 pages
(Overview, Programme, Subscriptions, Deliveries, Nuggets), one-time login links and
passwords, and, when CONFBOT_WEB_PUBLIC=1, the public programme, talk pages and calendar
feeds.

A front end like the others: it renders what the store and the command registry give it and
holds no SQL; its subscription forms run the chat commands. `serve` is started by
`confbot run` when CONFBOT_WEB_PORT is set (bot/frontends/registry.py).

Importing the package loads nothing: `confbot web-login` needs only `credentials`, and a
cold `confbot ask` must not pay for aiohttp's server and Jinja2. The app is in `server`.
"""
