"""Camera gateway settings (`media.cameras`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CameraSettings(BaseModel):
    """Where file sources may live, and how long a source runs after its last viewer left."""

    file_roots: list[str] = Field(
        default_factory=lambda: ["cameras"],
        description="directories (under the data dir unless absolute) file sources must be in",
    )
    grace_s: float = Field(10.0, ge=0, le=3600, description="source kept open after last viewer")
    max_viewers: int = Field(16, ge=1, le=500, description="viewers of one camera at once")
