"""The external upload flow that slack_sdk's files_upload_v2 drives, and the files people share.

Upload in three steps, as on Slack: files.getUploadURLExternal reserves a file id and
an upload URL; the app POSTs the bytes there; files.completeUploadExternal names the
file and shares it, which posts a message carrying the file in each channel.
"""

from __future__ import annotations

import copy
import mimetypes
import secrets
import time
from typing import Any
from urllib.parse import quote

from bot.offline.standin.arguments import Args
from bot.offline.standin.errors import SlackError
from bot.offline.standin.records import PendingUpload, StoredFile, Upload
from bot.offline.standin.workspace import Workspace


def file_object(
    ws: Workspace,
    *,
    file_id: str,
    filename: str,
    title: str,
    size: int,
    user_id: str,
    mimetype: str | None = None,
) -> dict[str, Any]:
    """A file as Slack shows it in a message, with the fields the bot and the shell read;
    the URLs point at the stand-in and need the bot token."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    base = f"{ws.base_url}/files-pri/{ws.team_id}-{file_id}"
    return {
        "id": file_id,
        "created": int(time.time()),
        "name": filename,
        "title": title,
        "mimetype": mimetype or mimetypes.guess_type(filename)[0] or "application/octet-stream",
        "filetype": extension or "binary",
        "user": user_id,
        "size": size,
        "mode": "hosted",
        "url_private": f"{base}/{quote(filename)}",
        "url_private_download": f"{base}/download/{quote(filename)}",
    }


def store_file(
    ws: Workspace,
    *,
    content: bytes,
    filename: str,
    title: str | None,
    user_id: str,
    mimetype: str | None = None,
    file_id: str | None = None,
) -> dict[str, Any]:
    file_id = file_id or ws.ids.new("F")
    info = file_object(
        ws,
        file_id=file_id,
        filename=filename,
        title=title or filename,
        size=len(content),
        user_id=user_id,
        mimetype=mimetype,
    )
    ws.files[file_id] = StoredFile(info=info, content=content)
    return info


def get_upload_url(ws: Workspace, args: Args) -> dict[str, Any]:
    length = args.integer("length", default=-1)
    if length < 0:
        raise SlackError("invalid_arguments", messages=["length must be a positive number"])
    file_id = ws.ids.new("F")
    key = secrets.token_urlsafe(12)
    ws.pending_uploads[key] = PendingUpload(
        file_id=file_id,
        filename=args.text("filename") or "",
        length=length,
        key=key,
        alt_txt=args.text("alt_txt"),
    )
    return {"upload_url": f"{ws.base_url}/upload/v1/{key}", "file_id": file_id}


def receive_upload(ws: Workspace, *, key: str, content: bytes) -> bool:
    """The POST to an upload URL; False if no such URL (Slack answers 404)."""
    pending = ws.pending_uploads.get(key)
    if pending is None:
        return False
    pending.content = content
    return True


def complete_upload(ws: Workspace, args: Args) -> dict[str, Any]:
    wanted = args.get("files")
    if not isinstance(wanted, list) or not all(isinstance(f, dict) and f.get("id") for f in wanted):
        raise SlackError("invalid_arguments", messages=["files must be a list of {id, title}"])
    channel_ids = [ws.resolve_channel(c) for c in (args.ids("channels") or args.ids("channel_id"))]
    pending_by_id = {p.file_id: p for p in ws.pending_uploads.values()}
    for wanted_file in wanted:
        pending = pending_by_id.get(wanted_file["id"])
        if pending is None or pending.content is None:
            raise SlackError("file_not_found")
    comment, thread_ts = args.text("initial_comment"), args.text("thread_ts")
    completed = []
    for wanted_file in wanted:
        pending = pending_by_id[wanted_file["id"]]
        content = pending.content or b""
        title = wanted_file.get("title") or pending.filename
        stored = store_file(
            ws,
            content=content,
            filename=pending.filename,
            title=title,
            user_id=ws.bot_user_id,
            file_id=pending.file_id,
        )
        del ws.pending_uploads[pending.key]
        ws.uploads.append(
            Upload(
                file_id=pending.file_id,
                filename=pending.filename,
                title=title,
                content=content,
                channels=tuple(channel_ids),
                initial_comment=comment,
                thread_ts=thread_ts,
                at=time.time(),
            )
        )
        completed.append(stored)
    for channel_id in channel_ids:
        _post_files(
            ws, channel_id=channel_id, files=completed, text=comment or "", thread_ts=thread_ts
        )
    return {"files": [copy.deepcopy(f) for f in completed]}


def _post_files(
    ws: Workspace, *, channel_id: str, files: list[dict[str, Any]], text: str, thread_ts: str | None
) -> None:
    message: dict[str, Any] = {
        "user": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "text": text,
        "upload": True,
        "display_as_bot": False,
    }
    if thread_ts:
        message["thread_ts"] = thread_ts
    message["files"] = [copy.deepcopy(info) for info in files]
    ws.append_message(channel_id, message)


METHODS = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
}
