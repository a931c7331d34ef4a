"""`ofsted-bot mailbox` as processes: stopped, restarted, killed mid-message, two at once.

Each preview is posted once and no message is skipped, whatever happens to the process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import pytest

from tests.factories import pdf_from_text
from tests.mailbox.conftest import (
    EXAMPLE,
    letter_mail,
    mail_posts,
    mail_rows,
    mailbox_settings,
    previews,
    settings_environment,
)


def _letter(number: int) -> Any:
    """A distinct letter each time (its own reference line), so none is a duplicate."""
    text = EXAMPLE + f"\nOur reference: SAX/{number:04d}\n"
    return letter_mail(
        subject=f"Letter {number}", attachments=((f"letter-{number}.pdf", pdf_from_text(text)),)
    )


class Processes:
    def __init__(self, environment: dict[str, str], log_dir: Any) -> None:
        self.environment = environment
        self.log_dir = log_dir
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"mailbox-{len(self.running)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "mailbox"], env=self.environment,
            stdout=log, stderr=subprocess.STDOUT,
        )
        self.running.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


@pytest.fixture
def processes(slack, folders, bot_engine, tmp_path):
    settings = mailbox_settings(
        slack, folders, str(bot_engine.url), mailbox_interval=1.0, mailbox_lease=3.0
    )
    started = Processes(settings_environment(settings), tmp_path)
    yield started
    started.stop_all()


def _markers(slack) -> Counter[str]:
    return Counter(message["blocks"][0]["block_id"] for message in mail_posts(slack))


def test_mail_that_arrives_while_the_process_is_down_is_read_when_it_starts_again(
    slack, folders, processes, bot_engine
):
    folders.deliver(_letter(1))
    first = processes.start()
    slack.wait_for(lambda s: len(previews(s)) == 1, timeout=60)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 0
    folders.deliver(_letter(2))
    folders.deliver(_letter(3))
    processes.start()
    slack.wait_for(lambda s: len(previews(s)) == 3, timeout=60)
    slack.wait_for(lambda _: folders.count(folders.done) == 3, timeout=30)
    time.sleep(1.5)  # another polling round: nothing more is posted
    assert set(_markers(slack).values()) == {1}
    assert len(mail_posts(slack)) == 3
    assert [row.outcome for row in mail_rows(bot_engine)] == ["previewed"] * 3
    assert folders.count(folders.inbox) == 0


@pytest.mark.parametrize(
    "stalled",
    [
        # Killed after the preview was posted, before Slack's answer came back: the new process
        # finds the preview in the channel and does not post it again.
        pytest.param({"method": "chat.postMessage", "after_effect": True}, id="after-posting"),
        # Killed after the claim and the draft, before posting: the new process posts it once.
        pytest.param(
            {"method": "conversations.history", "after_effect": False}, id="before-posting"
        ),
    ],
)
def test_sigkill_mid_message_then_restart_posts_the_preview_once(
    slack, folders, processes, bot_engine, stalled
):
    slack.delay_next(stalled["method"], seconds=8, after_effect=stalled["after_effect"])
    folders.deliver(_letter(1))
    first = processes.start()
    # The process is stalled inside the message: claimed in the database, not yet done.
    if stalled["after_effect"]:  # the call took effect and is recorded; its answer is late
        slack.wait_for(lambda s: s.calls_to(stalled["method"]), timeout=60)
    else:  # the call is held before it takes effect (recorded only once answered)
        slack.wait_for(lambda s: s.held_calls_to(stalled["method"]), timeout=60)
    [row] = mail_rows(bot_engine)
    assert row.status == "claimed"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)

    processes.start()
    slack.wait_for(lambda _: [r.status for r in mail_rows(bot_engine)] == ["done"], timeout=60)
    slack.wait_for(lambda _: folders.count(folders.done) == 1, timeout=30)
    assert len(previews(slack)) == 1
    assert len(mail_posts(slack)) == 1
    assert mail_rows(bot_engine)[0].outcome == "previewed"


def test_two_processes_on_one_mailbox_post_each_preview_once(
    slack, folders, processes, bot_engine
):
    for number in range(1, 7):
        folders.deliver(_letter(number))
    processes.start()
    processes.start()
    slack.wait_for(lambda s: len(previews(s)) == 6, timeout=90)
    slack.wait_for(lambda _: folders.count(folders.done) == 6, timeout=30)
    time.sleep(1.5)
    assert set(_markers(slack).values()) == {1}
    assert len(mail_posts(slack)) == 6
    assert folders.count(folders.inbox) == 0
