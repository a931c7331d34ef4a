"""The references `benchmarks/requests.py` measures the bot against, served as the bot is.

- `floor`: a plain WSGI endpoint, no Bolt: reads the request and answers 200. What gunicorn
  and the network cost, nothing else.
- `flask`: the same endpoint in Flask (`pip install -e '.[bench]'`): the floor as the issue
  defines it, "a plain Flask endpoint with no Bolt at all".
- `bolt`: a bare Bolt app whose only listeners ack (`/ofsted` and the `milestone_ack`
  button), verifying Slack's signature as the bot does, behind the same WSGI adapter.

    python -m benchmarks.reference_apps floor --port 8001 --workers 2 --threads 8
    python -m benchmarks.reference_apps flask --port 8003 --workers 2 --threads 8
    python -m benchmarks.reference_apps bolt --port 8002 --workers 2 --threads 8 \
        [--process-before-response]

Both go through `bot.web.run_gunicorn`, so the worker class, workers, threads and timeouts are
exactly the bot's. The Bolt one reads SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN and SLACK_API_URL
like the bot. Both answer `GET /healthz` so the benchmark can wait for them.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from typing import Any

from bot.web import HEALTH_PATH, SLACK_PATH, StartResponse, WSGIApp, run_gunicorn


def floor_app() -> WSGIApp:
    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            environ["wsgi.input"].read(length)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "0")])
        return [b""]

    return application


def flask_app() -> WSGIApp:
    from flask import Flask, request

    app = Flask("floor")

    @app.post(SLACK_PATH)
    def slack_events() -> tuple[str, int]:
        request.get_data()
        return "", 200

    @app.get(HEALTH_PATH)
    def health() -> tuple[str, int]:
        return "ok", 200

    return app


def bolt_app(*, process_before_response: bool = False) -> WSGIApp:
    from slack_bolt import Ack, App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    api_url = os.environ.get("SLACK_API_URL", "https://slack.com/api/")
    app = App(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=api_url.rstrip("/") + "/"),
        process_before_response=process_before_response,
    )

    def ack_only(ack: Ack) -> None:
        ack()

    app.command("/ofsted")(ack_only)
    app.action("milestone_ack")(ack_only)
    bolt = SlackRequestHandler(app, path=SLACK_PATH)
    health = floor_app()

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            return health(environ, start_response)
        return bolt(environ, start_response)

    return application


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["floor", "flask", "bolt"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--process-before-response", action="store_true", help="Bolt only")
    arguments = parser.parse_args()

    def load() -> WSGIApp:
        if arguments.kind == "floor":
            return floor_app()
        if arguments.kind == "flask":
            return flask_app()
        return bolt_app(process_before_response=arguments.process_before_response)

    run_gunicorn(
        load=load,
        port=arguments.port,
        host=arguments.host,
        workers=arguments.workers,
        threads=arguments.threads,
    )


if __name__ == "__main__":
    main()
