"""`python -m bot.offline.standin`: run the stand-in alone, to point a bot at it by hand.

python -m bot.offline.standin --port 3001
SLACK_API_URL=http://127.0.0.1:3001/api/ SLACK_BOT_TOKEN=xoxb-standin ofsted-bot serve --http
"""

from __future__ import annotations

import argparse
import threading

from bot.offline.standin.records import RecordedCall, RecordedResponse
from bot.offline.standin.webapi import DEFAULT_TOKEN, SlackStandIn


def describe(record: RecordedCall | RecordedResponse) -> str:
    if isinstance(record, RecordedCall):
        outcome = "ok" if record.ok else f"{record.status} {record.error}"
        return f"{record.method} {outcome}"
    return f"response_url ({record.response_type}): {record.text or ''}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.offline.standin", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the bot token to accept")
    parser.add_argument("--quiet", action="store_true", help="do not print each call")
    options = parser.parse_args(argv)
    with SlackStandIn(port=options.port, bot_tokens=[options.token]) as slack:
        if not options.quiet:
            slack.add_listener(lambda record: print(describe(record), flush=True))
        print(f"SLACK_API_URL={slack.api_url}\nSLACK_BOT_TOKEN={slack.token}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
