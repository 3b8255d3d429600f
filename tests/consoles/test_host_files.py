"""Files through `@gridhub/host` (the module plugin bundles import): api.upload sends a
multipart form with the page's sign-in, api.download fetches a protected file with it and has
the browser save the bytes, named by the hub's Content-Disposition unless the plugin names it;
a refusal rejects with the hub's code, which showError names in the page's language."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD

DESKTOP = {"width": 1600, "height": 900}
# a PDF by its first bytes (the hub sniffs), then every byte value: no text encoding survives
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64
NAME = "调解协议书.pdf"
UPLOAD = """async ({ bytes, name }) => {
  const host = await import('@gridhub/host')
  const { channels } = await host.realtime.emit('channel.list', {})
  const form = new FormData()
  form.append('file', new Blob([new Uint8Array(bytes)]), name)
  return host.api.upload(`/api/v1/channels/${channels[0].id}/files`, form)
}"""
DOWNLOAD = """async ({ path, filename }) => {
  const host = await import('@gridhub/host')
  return host.api.download(path, undefined, filename ?? undefined)
}"""
# what a plugin page does with a refusal: show it (the code's name) and go on
REFUSED = """async ({ call, path, bytes }) => {
  const host = await import('@gridhub/host')
  try {
    if (call === 'upload') {
      const form = new FormData()
      form.append('file', new Blob([new Uint8Array(bytes)]), 'x.bin')
      const { channels } = await host.realtime.emit('channel.list', {})
      await host.api.upload(`/api/v1/channels/${channels[0].id}/files`, form)
    } else await host.api.download(path)
    return 'not refused'
  } catch (error) {
    host.showError(error)
    return error.code
  }
}"""


async def saved(page: Page, path: str, filename: str | None = None) -> tuple[str, str, bytes]:
    """(name the host returned, name the browser saved under, the saved bytes)."""
    async with page.expect_download() as started:
        returned = await page.evaluate(DOWNLOAD, {"path": path, "filename": filename})
    download = await started.value
    body = await asyncio.to_thread(Path(await download.path()).read_bytes)
    return returned, download.suggested_filename, body


async def test_a_plugin_uploads_and_downloads_through_the_host(browsers: Browsers) -> None:
    browsers.errors.ignored += ["415 (Unsupported Media Type)", "404 (Not Found)"]
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console", viewport=DESKTOP)
    stored: dict[str, Any] = await page.evaluate(UPLOAD, {"bytes": list(PDF), "name": NAME})
    assert (stored["name"], stored["content_type"]) == (NAME, "application/pdf")
    assert (stored["size"], stored["sha256"]) == (len(PDF), hashlib.sha256(PDF).hexdigest())

    path = f"/api/v1/files/{stored['file_id']}"
    assert await saved(page, path) == (NAME, NAME, PDF)  # named by Content-Disposition
    assert await saved(page, path, "台账副本.pdf") == ("台账副本.pdf", "台账副本.pdf", PDF)

    refused = {"call": "upload", "path": "", "bytes": [0, 1, 2, 255] * 16}
    assert await page.evaluate(REFUSED, refused) == "file.type_refused"
    await expect(page.locator(".el-message--error", has_text="不支持的文件类型")).to_be_visible()
    missing = {"call": "download", "path": "/api/v1/files/" + "0" * 32, "bytes": []}
    assert await page.evaluate(REFUSED, missing) == "file.not_found"
    await expect(page.locator(".el-message--error", has_text="文件不存在")).to_be_visible()
