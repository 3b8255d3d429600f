"""The plugin's one table. Its schema belongs to the plugin's own Alembic branch ("hello")."""

from __future__ import annotations

from datetime import datetime

from hub.sdk import Base, UTCDateTime, utcnow
from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column


class Greeting(Base):
    """A notice pinned at the village entrance (村口公告): a short text on a grid, with a place
    on the map (the grid's centre when the author gave none)."""

    __tablename__ = "hello_greetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    text: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    author_id: Mapped[int] = mapped_column(Integer)
    author_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
