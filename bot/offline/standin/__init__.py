"""A local stand-in for Slack: the Web API on loopback and Slack's signed requests to the app.

Used by `ofsted-bot shell`, the tests and the benchmarks, so the bot runs offline.
It is a fake of Slack, not part of the bot: it imports nothing from the project.
"""

from bot.offline.standin.clock import ManualClock
from bot.offline.standin.driver import BotResponse, Delivery, SlackDriver
from bot.offline.standin.records import RecordedCall, RecordedResponse, Upload
from bot.offline.standin.webapi import DEFAULT_TOKEN, SlackStandIn

__all__ = [
    "DEFAULT_TOKEN",
    "BotResponse",
    "Delivery",
    "ManualClock",
    "RecordedCall",
    "RecordedResponse",
    "SlackDriver",
    "SlackStandIn",
    "Upload",
]
