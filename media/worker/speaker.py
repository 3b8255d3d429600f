"""Active-speaker detection: smoothed energy with hysteresis (hold and switch margins)."""

from __future__ import annotations

from dataclasses import dataclass, field

SMOOTHING = 0.3  # weight of the newest 20 ms level
THRESHOLD = 300.0  # RMS of s16 samples (about -40 dBFS): below is silence
SWITCH_RATIO = 2.0  # a challenger must be this much louder than the current speaker...
SWITCH_TICKS = 10  # ...for this many ticks in a row (200 ms)
QUIET_TICKS = 50  # the speaker is dropped after 1 s under the threshold


@dataclass
class SpeakerDetector:
    levels: dict[str, float] = field(default_factory=dict)
    current: str | None = None
    _challenger: str | None = None
    _streak: int = 0
    _quiet: int = 0

    def forget(self, peer_id: str) -> None:
        self.levels.pop(peer_id, None)
        if self.current == peer_id:
            self.current, self._quiet = None, 0

    def update(self, energies: dict[str, float]) -> bool:
        """Feed one tick (peer -> RMS, 0 for silent/muted); True when `current` changed."""
        for peer_id, energy in energies.items():
            old = self.levels.get(peer_id, 0.0)
            self.levels[peer_id] = old + SMOOTHING * (energy - old)
        before = self.current
        self._challenge()
        self._expire()
        return self.current != before

    def _challenge(self) -> None:
        if not self.levels:
            return
        loudest = max(self.levels, key=lambda p: self.levels[p])
        level = self.levels[loudest]
        bar = THRESHOLD
        if self.current is not None and self.current != loudest:
            bar = max(bar, SWITCH_RATIO * self.levels.get(self.current, 0.0))
        if loudest == self.current or level < bar:
            self._challenger, self._streak = None, 0
            return
        self._streak = self._streak + 1 if loudest == self._challenger else 1
        self._challenger = loudest
        if self._streak >= SWITCH_TICKS:
            self.current, self._challenger, self._streak, self._quiet = loudest, None, 0, 0

    def _expire(self) -> None:
        if self.current is None:
            return
        if self.levels.get(self.current, 0.0) >= THRESHOLD:
            self._quiet = 0
            return
        self._quiet += 1
        if self._quiet >= QUIET_TICKS:
            self.current, self._quiet = None, 0
