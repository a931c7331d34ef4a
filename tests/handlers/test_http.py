"""HTTP mode: verification, the health check, acks within 3 seconds, and gunicorn for real."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.offline.standin import Delivery, SlackDriver, SlackStandIn
from tests.handlers.conftest import CHANNEL, OFFICER, SIGNING_SECRET, TEAM


@pytest.mark.parametrize(
    "delivery",
    [Delivery(signature="bad"), Delivery(signature="absent"), Delivery(stale=True)],
    ids=["bad-signature", "no-signature", "stale-timestamp"],
)
def test_requests_without_a_valid_signature_are_refused_and_do_nothing(bot, delivery):
    response = bot.driver.slash_command(
        "list", user_id=OFFICER, channel_id=CHANNEL, delivery=delivery
    )
    assert response.status == 401
    time.sleep(0.3)
    assert bot.slack.responses == []
    clicked = bot.driver.block_action(
        user_id=OFFICER, action_id="draft_create", value="1", channel_id=CHANNEL, delivery=delivery
    )
    assert clicked.status == 401


def test_the_health_check_reports_the_database(bot):
    with urllib.request.urlopen(bot.url + "/healthz", timeout=5) as answer:
        assert answer.status == 200
        assert b'"database": "ok"' in answer.read()


def test_other_paths_are_not_found(bot):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bot.url + "/admin", timeout=5)
    assert refused.value.code == 404


def _a_visit(engine, reference_hint="Fernleigh"):
    from datetime import UTC, date, datetime

    from sqlmodel import Session

    from storage import repo

    with Session(engine) as session:
        visit = repo.create_visit(
            session=session,
            team_id=TEAM,
            local_authority=reference_hint,
            visit_type="other",
            letter_date=date(2021, 6, 22),
            visit_dates=[],
            inspectors=[],
            created_by=OFFICER,
            channel_id=CHANNEL,
            now=datetime(2021, 6, 22, tzinfo=UTC),
            milestones=[
                repo.NewMilestone(
                    kind="survey_deadline",
                    label="Survey",
                    due_date=date(2021, 8, 20),
                    source="letter",
                )
            ],
        )
        session.commit()
        return visit.reference


def test_a_command_is_acknowledged_at_once_while_the_database_is_locked(bot, tmp_path):
    # Another process holds the SQLite file's write lock: the ack must not wait for it.
    reference = _a_visit(bot.engine)
    database = bot.engine.url.database
    blocker = sqlite3.connect(database, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        response = bot.driver.slash_command(
            f"close {reference}", user_id=OFFICER, channel_id=CHANNEL
        )
        # Waiting for the lock would last the 5 s busy timeout, past Slack's 3 s.
        assert response.status == 200 and response.within_ack_deadline
        time.sleep(0.3)
        assert bot.slack.responses == []  # the answer waits for the database, not the ack
        # Reading does not wait for the writer at all (WAL): the list answers meanwhile.
        _, before = bot.command("list")
        assert reference in str(bot.next_response(before, timeout=10).blocks)
    finally:
        blocker.rollback()
        blocker.close()

    def closed(slack):
        return next((r for r in slack.responses if "Closed" in (r.text or "")), None)

    answer = bot.slack.wait_for(closed, timeout=10)
    assert f"Closed `{reference}`" in answer.text


class _Output:
    """A server's output, read as it comes on a thread of its own (a pipe left unread fills up)."""

    def __init__(self, server: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(server.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line.decode(errors="replace"))

    def port(self) -> int | None:
        """The port gunicorn chose (`--port 0`: a port picked beforehand could be taken by
        another process before gunicorn bound it)."""
        listening = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
        found = (listening.search(line) for line in list(self.lines))
        return next((int(match.group(1)) for match in found if match), None)

    def text(self) -> str:
        self._thread.join(timeout=30)
        return "".join(self.lines)


def test_serve_http_runs_under_gunicorn_and_answers_signed_requests(tmp_path):
    with SlackStandIn() as slack:
        environment = {
            **os.environ,
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
        }
        environment.pop("SLACK_APP_TOKEN", None)
        command = [
            str(Path(sys.executable).with_name("ofsted-bot")),
            "serve",
            "--http",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--workers",
            "2",
            "--no-dispatcher",
        ]
        server = subprocess.Popen(
            command,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        output = _Output(server)
        try:
            deadline = time.monotonic() + 60
            while True:
                port = output.port()
                try:
                    if port is not None:
                        health = f"http://127.0.0.1:{port}/healthz"
                        with urllib.request.urlopen(health, timeout=10) as answer:
                            assert answer.status == 200
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                assert server.poll() is None, output.text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
            driver = SlackDriver(f"http://127.0.0.1:{port}", SIGNING_SECRET, slack)
            response = driver.slash_command("help", user_id=OFFICER, channel_id=CHANNEL)
            assert response.status == 200 and response.within_ack_deadline
            slack.wait_for(lambda s: s.responses, timeout=10)
            assert "/ofsted letter" in str(slack.responses[0].blocks)
            assert (
                driver.slash_command(
                    "help", user_id=OFFICER, channel_id=CHANNEL, delivery=Delivery(signature="bad")
                ).status
                == 401
            )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        output = output.text()
        assert "gthread" in output or "Booting worker" in output
        assert "Traceback" not in output


def test_serve_http_without_no_dispatcher_also_posts_due_reminders(tmp_path):
    from datetime import UTC, date, datetime, timedelta

    from sqlmodel import Session

    from storage import repo
    from storage.db import create_engine_for
    from storage.migrate import upgrade_database

    database_url = f"sqlite:///{tmp_path / 'served.db'}"
    engine = create_engine_for(database_url)
    upgrade_database(engine=engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        visit = repo.create_visit(
            session=session,
            team_id=TEAM,
            local_authority="Fernleigh",
            visit_type="other",
            letter_date=None,
            visit_dates=[],
            inspectors=[],
            created_by=OFFICER,
            channel_id=CHANNEL,
            now=now,
            milestones=[
                repo.NewMilestone(
                    kind="survey_deadline",
                    label="Survey",
                    due_date=date(2030, 1, 4),
                    source="letter",
                )
            ],
        )
        milestone_id = repo.list_milestones(session=session, visit_id=visit.id)[0].id
        repo.add_reminders(
            session=session,
            milestone_id=milestone_id,
            reminders=[
                repo.NewReminder(due_at=now - timedelta(minutes=1), kind="ahead", offset_days=5)
            ],
        )
        session.commit()
    engine.dispose()
    with SlackStandIn() as slack:
        environment = {
            **os.environ,
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": database_url,
            "DISPATCH_INTERVAL": "0.5",
        }
        # Port 0: the server's port does not matter here, and one picked beforehand could be taken.
        command = [
            str(Path(sys.executable).with_name("ofsted-bot")),
            "serve",
            "--http",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--workers",
            "1",
        ]
        server = subprocess.Popen(
            command,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            posted = slack.wait_for(lambda s: s.messages(CHANNEL), timeout=60)
            assert len(posted) == 1 and "Survey" in posted[0]["text"]
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
