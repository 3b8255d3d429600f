"""Disclosure attachments: PDF, images and XLSX accounts, checked by their bytes.

Like dispatch's appeal photos, files are rows of the plugin's own table (a plugin has no way
into the core file store, which belongs to chat channels): every node of a cluster serves
them. An XLSX is opened with openpyxl on upload; its first sheet is kept as a table (cells as
text, bounded) that the pages show, and a file openpyxl cannot read is refused.
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import openpyxl
from aiohttp import BodyPartReader, web

from hub.sdk import SNIFF_BYTES, HubError, InvalidInput, sniff

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPTED = frozenset({"application/pdf", "image/jpeg", "image/png", "image/webp", "image/gif"})
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 300
MAX_COLS = 20
MAX_CELL = 200
CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    name: str
    content_type: str
    data: bytes
    table: list[list[str]] | None


async def read_upload(request: web.Request) -> Upload:
    """The one part named `file` of a multipart body."""
    name, data = await read_part(request, MAX_BYTES)
    return await classify(name, data)


async def read_part(request: web.Request, limit: int) -> tuple[str, bytes]:
    """The name and bytes of the one part named `file`, refused past `limit` bytes."""
    if request.content_type != "multipart/form-data":
        raise HubError("party.file_form", "send multipart/form-data with a part `file`", status=415)
    reader = await request.multipart()
    part = await reader.next()
    if not isinstance(part, BodyPartReader) or part.name != "file":
        raise InvalidInput("party.file_form", "send one part named `file`")
    data = await _read_bounded(part, limit)
    if await reader.next() is not None:
        raise InvalidInput("party.file_form", "send one part named `file`")
    return (part.filename or "file")[-120:], data


async def _read_bounded(part: BodyPartReader, limit: int) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data += chunk
        if len(data) > limit:
            raise HubError("party.file_too_large", f"at most {limit} bytes", status=413)
    if not data:
        raise InvalidInput("party.file_empty", "the file is empty")
    return bytes(data)


async def classify(name: str, data: bytes) -> Upload:
    kind = sniff(data[:SNIFF_BYTES])
    if kind in ACCEPTED:
        return Upload(name, kind, data, None)
    if kind == "application/zip":
        table = await asyncio.to_thread(xlsx_table, data)
        return Upload(name, XLSX, data, table)
    raise HubError("party.file_type", "attach PDF, JPEG, PNG, WebP, GIF or XLSX", status=415)


def xlsx_table(data: bytes) -> list[list[str]]:
    """The first sheet's rows as text (bounded), or 415 when it is not a workbook."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise HubError("party.file_type", "the file is not an XLSX workbook", status=415) from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLS, values_only=True)
        table = [[_cell(v) for v in row] for row in rows]
    finally:
        book.close()
    table = [row for row in table if any(row)]
    # read-only sheets pad rows to max_col: keep the columns up to the last one used
    width = max((max(i for i, cell in enumerate(row) if cell) + 1 for row in table), default=0)
    return [row[:width] for row in table]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)[:MAX_CELL]


def table_json(table: list[list[str]] | None) -> str | None:
    return None if table is None else json.dumps(table, ensure_ascii=False)


def table_of(stored: str | None) -> list[list[str]] | None:
    return None if stored is None else list(json.loads(stored))


def file_response(content_type: str, data: bytes, name: str) -> web.Response:
    disposition = "inline" if content_type != XLSX else "attachment"
    return web.Response(
        body=data,
        content_type=content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name, safe='')}",
            "Cache-Control": "private, max-age=3600",
        },
    )
