"""From a message's arrival in the mailbox to its preview in the channel, p50 and p99.

    .venv/bin/python benchmarks/mailbox.py [--messages 100] [--poll SECONDS]

Needs the IMAP server the tests use (Dovecot, `.ci/dovecot.sh`; TEST_IMAP_URL and
TEST_IMAP_PASSWORD as for the tests). The watcher is the one `ofsted-bot mailbox` builds, on a
thread, with a new SQLite database and the Slack stand-in. One message at a time: the letter
as a PDF attachment (the bundled example, each with its own reference line so none is a
duplicate) is APPENDed to a folder of its own; the clock starts before the APPEND and stops
when the stand-in records the chat.postMessage that carries that message's preview.

Reference, in the same run: the same PDF read the way the mailbox reads it
(`read_document_bounded` then `read_letter`, median of 10), the floor of what a preview costs.
By default the server's IDLE wakes the watcher; `--poll S` turns IDLE off and polls every S
seconds instead (expect about S/2 more on average).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(REPO))

from imapclient import IMAPClient  # noqa: E402  (after the path is set, as below)

from benchmarks import common  # noqa: E402
from bot.mailbox import build_watcher  # noqa: E402
from bot.offline.standin import SlackStandIn  # noqa: E402
from bot.settings import Settings  # noqa: E402
from scheduler.letters import read_letter  # noqa: E402
from scheduler.mailbox.imap import ImapAddress, ImapMailbox  # noqa: E402
from scheduler.sandbox import read_document_bounded  # noqa: E402
from storage.db import create_engine_for  # noqa: E402
from storage.migrate import upgrade_database  # noqa: E402
from tests.factories import pdf_from_text  # noqa: E402
from tests.mailbox.conftest import EXAMPLE, letter_mail  # noqa: E402

CHANNEL = "C01VISITS"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--poll", type=float, default=None, help="poll every S s, no IDLE")
    arguments = parser.parse_args()

    url = urlsplit(os.environ.get("TEST_IMAP_URL") or "imap://ofsted@127.0.0.1:10143")
    password = os.environ.get("TEST_IMAP_PASSWORD") or "mailbox-test-password"
    host, port, user = url.hostname or "127.0.0.1", url.port or 143, url.username or "ofsted"
    folder = f"bench{secrets.token_hex(3)}"

    def client() -> Any:
        connection = IMAPClient(host, port=port, ssl=False, timeout=10)
        connection.login(user, password)
        return connection

    admin = client()
    admin.create_folder(folder)

    letters = [
        pdf_from_text(EXAMPLE + f"\nOur reference: BENCH/{n:04d}\n")
        for n in range(arguments.messages)
    ]
    reference = []
    for _ in range(10):
        began = time.perf_counter()
        read_letter(read_document_bounded(letters[0], filename="letter.pdf"))
        reference.append(time.perf_counter() - began)

    posted: dict[str, float] = {}
    seen = threading.Condition()

    def on_call(record: Any) -> None:
        if getattr(record, "method", None) != "chat.postMessage":
            return
        text = str(record.args.get("blocks"))
        for number in range(arguments.messages):
            if f"“Bench {number:04d}”" in text:
                with seen:
                    posted.setdefault(f"{number:04d}", time.monotonic())
                    seen.notify_all()

    with tempfile.TemporaryDirectory() as scratch, SlackStandIn() as slack:
        slack.add_listener(on_call)
        engine = create_engine_for(f"sqlite:///{Path(scratch) / 'bench.db'}")
        upgrade_database(engine=engine)
        settings = Settings(
            slack_bot_token=slack.token, slack_api_url=slack.api_url,
            database_url=str(engine.url), mailbox_url=f"imap://{user}@{host}:{port}/{folder}",
            mailbox_password=password, mailbox_channel=CHANNEL,
            mailbox_done_folder=f"{folder}done", mailbox_interval=arguments.poll or 60.0,
        )
        mailbox = None
        if arguments.poll:
            mailbox = ImapMailbox(
                address=ImapAddress.from_url(settings.mailbox_url or ""), password=password,
                done_folder=settings.mailbox_done_folder, use_idle=False,
            )
        watcher = build_watcher(settings, engine, mailbox=mailbox)
        stop = threading.Event()
        thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
        thread.start()
        time.sleep(1.0)  # connected, the empty folder read, waiting

        latencies = []
        for number in range(arguments.messages):
            key = f"{number:04d}"
            raw = letter_mail(
                subject=f"Bench {key}", attachments=((f"letter-{key}.pdf", letters[number]),)
            ).as_bytes()
            began = time.monotonic()
            admin.append(folder, raw)
            with seen:
                if not seen.wait_for(lambda key=key: key in posted, timeout=60):
                    print(f"message {key}: no preview within 60 s", file=sys.stderr)
                    break
            latencies.append(posted[key] - began)
        stop.set()
        thread.join(timeout=30)
        engine.dispose()
    for name in (folder, f"{folder}done"):
        if admin.folder_exists(name):
            admin.delete_folder(name)
    admin.logout()

    mode = f"polling every {arguments.poll:g} s" if arguments.poll else "IDLE"
    print(f"{len(latencies)} messages, one at a time, {mode}; " + ", ".join(
        f"{k} {v}" for k, v in common.machine_facts().items()
    ))
    common.print_table(
        ["", "p50 ms", "p99 ms", "max ms"],
        [
            [
                "arrival to preview",
                f"{common.percentile(latencies, 50) * 1000:.0f}",
                f"{common.percentile(latencies, 99) * 1000:.0f}",
                f"{max(latencies) * 1000:.0f}",
            ],
            [
                "reference: read the PDF and its facts",
                f"{statistics.median(reference) * 1000:.0f}",
                f"{common.percentile(reference, 99) * 1000:.0f}",
                f"{max(reference) * 1000:.0f}",
            ],
        ],
    )
    return 0 if len(latencies) == arguments.messages else 1


if __name__ == "__main__":
    raise SystemExit(main())
