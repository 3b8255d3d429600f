"""Structured errors shared by HTTP and socket handlers: a stable dotted code and a message."""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    """An error a client may see; `code` is stable, `message` is for people."""

    status: int = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries besides the body (Retry-After of a rate limit)."""
        return {}


class InvalidInput(HubError):
    status = 422


class Unauthorized(HubError):
    status = 401


class Forbidden(HubError):
    status = 403


class NotFound(HubError):
    status = 404


class Conflict(HubError):
    status = 409


class TooManyRequests(HubError):
    status = 429


def invalid_from_pydantic(exc: Exception, code: str = "request.invalid") -> InvalidInput:
    """Turn a pydantic ValidationError into a structured InvalidInput error."""
    errors = getattr(exc, "errors", None)
    problems: list[dict[str, Any]] = []
    if callable(errors):
        for item in errors(include_url=False, include_context=False):
            loc = ".".join(str(part) for part in item.get("loc", ()))
            problems.append({"field": loc, "problem": item.get("msg", "invalid")})
    first = problems[0] if problems else {"field": "", "problem": str(exc)}
    message = f"{first['field']}: {first['problem']}" if first["field"] else first["problem"]
    return InvalidInput(code, message, details={"problems": problems})
