"""Built-in components (hub/components.py): the installed set and its order, their settings
tables beside their code under the names users always wrote, and a core that runs without
them (hub/ names none of them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from hub import components
from hub.app import build_app
from hub.components import BuiltIn, ComponentError
from hub.settings import CoreSettings, Settings, load_settings, section
from media.settings import MediaSettings
from signaling.settings import CallSettings
from tests.hub.conftest import AiohttpClient, make_settings


def test_the_installed_components_start_requirements_first() -> None:
    names = [c.name for c in components.ordered(components.discover())]
    assert sorted(names) == ["cameras", "consoles", "media", "recording", "signaling"]
    assert names.index("media") < names.index("recording")
    assert names.index("signaling") < names.index("recording")
    assert names.index("media") < names.index("cameras")


def test_a_cycle_or_a_missing_requirement_is_refused() -> None:
    first, second = BuiltIn("first", requires=("second",)), BuiltIn("second", requires=("first",))
    with pytest.raises(ComponentError, match="cycle"):
        components.ordered({"first": first, "second": second})
    with pytest.raises(ComponentError, match="'second' is required but not installed"):
        components.ordered({"first": first})


def test_component_tables_keep_their_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gridhub.toml"
    config.write_text("[calls]\nring_timeout_s = 12\n[media.recording]\ncalls = true\n")
    monkeypatch.setenv("GRIDHUB_MEDIA__EMBEDDED_WORKERS", "3")
    settings = load_settings(config)
    media = section(settings, "media", MediaSettings)
    assert (media.embedded_workers, media.recording.calls) == (3, True)
    assert section(settings, "calls", CallSettings).ring_timeout_s == 12
    with pytest.raises(ValueError, match="calls"):
        Settings(calls={"ring_timeout_s": -1})


def test_a_missing_or_foreign_table_is_an_error() -> None:
    settings = Settings()
    assert isinstance(settings, CoreSettings)
    with pytest.raises(TypeError, match="'volunteers'"):
        section(settings, "volunteers", BaseModel)
    with pytest.raises(TypeError, match="'media'"):
        section(settings, "media", CallSettings)


async def test_the_core_runs_without_components(
    tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    full = await aiohttp_client(build_app(make_settings(tmp_path / "full"), available_plugins={}))
    core = await aiohttp_client(
        build_app(make_settings(tmp_path / "core"), available_plugins={}, built_in={})
    )
    for client, calls_status, page_status in ((full, 401, 200), (core, 404, 404)):
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/api/v1/calls/ice-servers")).status == calls_status
        assert (await client.get("/console", allow_redirects=False)).status == page_status
