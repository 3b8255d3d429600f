"""Ledger exports as CSV or XLSX, streamed: rows come in pages and leave as they are written.

`stream_table(request, name, fmt, header, pages)` answers an HTTP request with a table whose
rows an async iterator yields page by page (a keyset-paged query: one page in memory at a
time). CSV (UTF-8 with a BOM, so Excel reads Chinese) is sent as each page is written. XLSX is
written by openpyxl in write-only mode, which keeps rows in a temporary file rather than in
memory; the finished workbook is then sent from that file in chunks.
"""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from aiohttp import web
from openpyxl import Workbook

ExportFormat = Literal["csv", "xlsx"]
Row = Sequence[Any]
CHUNK = 64 * 1024
TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# what an export route declares it answers (`produces=`), for the OpenAPI document
EXPORT_PRODUCES = "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def stream_table(
    request: web.Request,
    name: str,
    fmt: ExportFormat,
    header: Row,
    pages: AsyncIterator[list[Row]],
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": TYPES[fmt],
            "Content-Disposition": f'attachment; filename="{name}.{fmt}"',
            "Cache-Control": "no-store",
        }
    )
    if fmt == "csv":
        await response.prepare(request)
        await _csv(response, header, pages)
    else:
        await _xlsx(request, response, header, pages)
    await response.write_eof()
    return response


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a formula in a spreadsheet would run: keep it text
    return value


async def _csv(response: web.StreamResponse, header: Row, pages: AsyncIterator[list[Row]]) -> None:
    await response.write(b"\xef\xbb\xbf" + _csv_lines([header]))
    async for page in pages:
        await response.write(_csv_lines([[_cell(v) for v in row] for row in page]))


def _csv_lines(rows: Sequence[Row]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().encode()


async def _xlsx(
    request: web.Request,
    response: web.StreamResponse,
    header: Row,
    pages: AsyncIterator[list[Row]],
) -> None:
    with tempfile.TemporaryDirectory(prefix="gridhub-export-") as folder:
        path = Path(folder) / "export.xlsx"
        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(list(header))
        async for page in pages:
            await asyncio.to_thread(_append, sheet, page)
        await asyncio.to_thread(book.save, path)
        response.content_length = path.stat().st_size
        await response.prepare(request)
        with path.open("rb") as data:
            while chunk := await asyncio.to_thread(data.read, CHUNK):
                await response.write(chunk)


def _append(sheet: Any, page: list[Row]) -> None:
    for row in page:
        sheet.append([_cell(v) for v in row])
