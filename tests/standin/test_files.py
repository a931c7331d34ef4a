"""files_upload_v2 round trip, and downloads that need the bot token."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.offline.standin import SlackStandIn

CSV = "when,who,what\n2024-05-01T09:00:00Z,U02DCS,approved\n"
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


def download(url: str, token: str | None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=5
        ) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_upload_v2_round_trip(client: WebClient, slack: SlackStandIn) -> None:
    answer = client.files_upload_v2(
        channel="C01VISITS",
        content=CSV,
        filename="audit.csv",
        title="Audit trail",
        initial_comment="Here is the audit trail",
    )
    upload = slack.uploads[-1]
    assert upload.file_id == answer["file"]["id"]
    assert (upload.filename, upload.title, upload.text) == ("audit.csv", "Audit trail", CSV)
    assert upload.channels == ("C01VISITS",)
    shared = slack.messages("C01VISITS")[-1]
    assert shared["text"] == "Here is the audit trail"
    assert shared["files"][0]["id"] == upload.file_id
    calls = [c.method for c in slack.calls]
    assert calls == ["files.getUploadURLExternal", "files.completeUploadExternal"]


def test_upload_bytes_into_a_thread(client: WebClient, slack: SlackStandIn) -> None:
    parent = client.chat_postMessage(channel="C01VISITS", text="Visit")["ts"]
    client.files_upload_v2(
        channel="C01VISITS", file=ICS, filename="milestones.ics", thread_ts=parent
    )
    assert slack.uploads[-1].content == ICS
    assert slack.uploads[-1].thread_ts == parent
    assert slack.message("C01VISITS", parent)["reply_count"] == 1


def test_uploaded_file_can_be_downloaded(client: WebClient, slack: SlackStandIn) -> None:
    info = client.files_upload_v2(content=CSV, filename="audit.csv")["file"]
    assert info["name"] == "audit.csv" and info["size"] == len(CSV)
    assert info["url_private_download"].startswith(slack.base_url)
    assert download(info["url_private_download"], slack.token) == (200, CSV.encode())


def test_download_needs_the_bot_token(slack: SlackStandIn) -> None:
    info = slack.add_file(content=b"%PDF-1.4 letter", filename="letter.pdf", user_id="U01QAOFFICER")
    assert info["mimetype"] == "application/pdf" and info["filetype"] == "pdf"
    assert download(info["url_private_download"], None)[0] == 403
    assert download(info["url_private_download"], "xoxb-wrong")[0] == 403
    assert download(info["url_private"], slack.token) == (200, b"%PDF-1.4 letter")


def test_complete_without_upload_is_refused(client: WebClient) -> None:
    file_id = client.files_getUploadURLExternal(filename="a.csv", length=3)["file_id"]
    with pytest.raises(SlackApiError) as failure:
        client.files_completeUploadExternal(files=[{"id": file_id}])
    assert failure.value.response["error"] == "file_not_found"


def test_file_names_with_spaces_download(slack: SlackStandIn) -> None:
    info = slack.add_file(content=b"x", filename="Ofsted letter 2021.pdf", user_id="U02DCS")
    assert download(info["url_private_download"], slack.token) == (200, b"x")
