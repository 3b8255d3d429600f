"""What the public ways in share: tracking codes, and one limit per client address and hour
on asking and applying, counted in the database (one limit across a cluster); addresses are
kept only hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import TooManyRequests, utcnow
from plugins.mediation.models import Case, Question

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def client_hash(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()


async def check_limit(session: AsyncSession, client: str, per_hour: int) -> None:
    """Refuse a client who asked or applied `per_hour` times in the last hour."""
    since = utcnow() - timedelta(hours=1)
    questions = await session.scalar(
        select(func.count(Question.id)).where(
            Question.client_hash == client, Question.created_at >= since
        )
    )
    cases = await session.scalar(
        select(func.count(Case.id)).where(Case.client_hash == client, Case.created_at >= since)
    )
    if (questions or 0) + (cases or 0) >= per_hour:
        raise TooManyRequests("mediation.rate_limited", "too many requests; try later")
