"""Camera gateway settings (`media.cameras`)."""

from __future__ import annotations

from pydantic import BaseModel, Field, IPvAnyNetwork


class CameraSettings(BaseModel):
    """Where file sources may live, which networks and ports RTSP sources may be on, and how
    long a source runs after its last viewer left."""

    file_roots: list[str] = Field(
        default_factory=lambda: ["cameras"],
        description="directories (under the data dir unless absolute) file sources must be in",
    )
    # Empty (the default): no RTSP source at all, only files. The hub opens the connection to
    # a camera, so an RTSP URL must not let it reach anything else on its networks.
    allowed_networks: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="networks (CIDR) every address of an RTSP camera's host must be in",
    )
    allowed_ports: list[int] = Field(
        default_factory=lambda: [554, 8554],
        description="ports an RTSP camera may be on (rtsp:// without one: 554, rtsps://: 322)",
    )
    grace_s: float = Field(10.0, ge=0, le=3600, description="source kept open after last viewer")
    max_viewers: int = Field(16, ge=1, le=500, description="viewers of one camera at once")
