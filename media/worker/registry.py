"""Which room kinds and taps a worker offers: built-ins plus the modules in EXTENSIONS."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from media.worker.rooms import Room, TapFactory

# Modules with a `register(registry: Registry) -> None` function, imported at worker start.
EXTENSIONS: tuple[str, ...] = (
    "media.worker.mixing",
    # recording and the camera gateway: recorder room, record tap, camera room
    "media.recording.room",
    "media.recording.tap",
    "media.camera.room",
)


@dataclass
class Registry:
    kinds: dict[str, type[Room]] = field(default_factory=dict)
    taps: dict[str, TapFactory] = field(default_factory=dict)

    def room_kind(self, cls: type[Room]) -> type[Room]:
        if cls.kind in self.kinds:
            raise ValueError(f"room kind {cls.kind!r} registered twice")
        self.kinds[cls.kind] = cls
        return cls

    def tap(self, name: str, factory: TapFactory) -> None:
        if name in self.taps:
            raise ValueError(f"tap {name!r} registered twice")
        self.taps[name] = factory


def load(modules: tuple[str, ...] = EXTENSIONS) -> Registry:
    registry = Registry()
    for name in modules:
        importlib.import_module(name).register(registry)
    return registry
