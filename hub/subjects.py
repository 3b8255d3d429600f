"""Subjects: objects a plugin owns that lower floors may attach things to (e.g. a recording).

A plugin registers a kind (``ctx.subjects.register("sos", resolve, on_recording=attached)``):
`resolve` answers what subject ``<kind>:<id>`` is (whose, where, still open) or None when there
is no such subject; `on_recording` is told that a recording of it started. Media's recording
asks this registry (``app[SUBJECTS]``) and so never names a plugin or its tables. A kind nobody
registered (its plugin is not enabled) resolves to None, like a subject that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

# A subject kind travels in APIs and is stored in `recordings.kind` (16 characters).
KIND = re.compile(r"^[a-z][a-z0-9_]{1,15}$")


@dataclass(frozen=True, slots=True)
class SubjectInfo:
    """What a subject is: whose (`person_id`), where (`grid_id`), and whether still open."""

    person_id: int
    grid_id: int
    active: bool
    state: str = ""  # the owner's own word for its state, for logs and errors


Resolve = Callable[[int], Awaitable[SubjectInfo | None]]
RecordingAttached = Callable[[int, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Kind:
    owner: str
    resolve: Resolve
    on_recording: RecordingAttached | None


class Subjects:
    """The kinds plugins registered, and the kinds core parts keep for themselves."""

    def __init__(self) -> None:
        self._kinds: dict[str, _Kind] = {}
        self._reserved: set[str] = set()

    def reserve(self, *kinds: str) -> None:
        """Kinds a core part handles itself (e.g. recording's "call"): no plugin may take them."""
        self._reserved.update(kinds)

    def register(
        self,
        owner: str,
        kind: str,
        resolve: Resolve,
        on_recording: RecordingAttached | None = None,
    ) -> None:
        if not KIND.fullmatch(kind):
            raise ValueError(f"subject kind {kind!r} must match {KIND.pattern}")
        if kind in self._reserved or kind in self._kinds:
            raise ValueError(f"subject kind {kind!r} is already taken")
        self._kinds[kind] = _Kind(owner, resolve, on_recording)

    def kinds(self) -> frozenset[str]:
        return frozenset(self._kinds)

    async def resolve(self, kind: str, subject_id: int) -> SubjectInfo | None:
        """The subject, or None when it does not exist or nobody registered its kind."""
        found = self._kinds.get(kind)
        return None if found is None else await found.resolve(subject_id)

    async def recording_attached(self, kind: str, subject_id: int, recording_id: str) -> None:
        found = self._kinds.get(kind)
        if found is not None and found.on_recording is not None:
            await found.on_recording(subject_id, recording_id)


class SubjectsView:
    """`ctx.subjects`: a plugin registers the kinds of subject it owns."""

    def __init__(self, subjects: Subjects, owner: str) -> None:
        self._subjects, self._owner = subjects, owner

    def register(
        self, kind: str, resolve: Resolve, *, on_recording: RecordingAttached | None = None
    ) -> None:
        """Answer what `<kind>:<id>` is; `on_recording(id, recording_id)` when one starts."""
        self._subjects.register(self._owner, kind, resolve, on_recording)


SUBJECTS = web.AppKey("subjects", Subjects)
