"""TURN credentials cannot be revoked (coturn use-auth-secret), so they live briefly: never
longer than `calls.turn_ttl_s`, nor past the access token that fetched them."""

from __future__ import annotations

import jwt

from hub.settings import Settings
from tests.hub.conftest import StartHub, bearer, login
from tests.signaling.conftest import CALLS


async def test_turn_credentials_end_no_later_than_the_access_token(start_hub: StartHub) -> None:
    hub = await start_hub(calls={**CALLS, "turn_ttl_s": 3600}, auth={"access_ttl_s": 120})
    token = await login(hub.client, "w01")
    expires = int(jwt.decode(token, options={"verify_signature": False})["exp"])
    response = await hub.client.get("/api/v1/calls/ice-servers", headers=bearer(token))
    assert response.status == 200
    body = await response.json()
    turn = body["ice_servers"][1]
    assert int(turn["username"].split(":")[0]) == body["expires_at"] == expires
    assert 0 < body["ttl_s"] <= 120
    # Signed out: the endpoint refuses, and what was handed out ends with the token.
    assert (await hub.client.post("/api/v1/auth/logout", headers=bearer(token))).status == 204
    again = await hub.client.get("/api/v1/calls/ice-servers", headers=bearer(token))
    assert again.status == 401


def test_turn_credentials_live_no_longer_than_an_access_token_by_default() -> None:
    settings = Settings()
    assert settings.calls.turn_ttl_s <= settings.auth.access_ttl_s
