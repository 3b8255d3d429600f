"""Secrets never reach the screen or the log: `config show`, settings errors, plugin errors."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from hub.plugins import BasePlugin, PluginError, validate_config
from hub.settings import MASK, Settings, describe_errors, masked


def test_every_secret_is_masked_whatever_its_shape() -> None:
    settings = Settings(
        metrics_token="metrics-token-value",
        auth={"secret_key": "auth-secret-value"},
        calls={"turn_secret": "turn-secret-value", "ice_servers": ["turn:h:3478"]},
        media={"external_workers": ["ws://worker:ws-pass@w1:9000/control"]},
        plugins={
            "config": {
                "dispatch": {
                    "open311_api_keys": ["open311-key-one", "open311-key-two"],
                    "partner": {"api_key": "partner-key", "tokens": {"a": "token-a"}},
                    "appeal_limit": 5,
                }
            }
        },
    )
    shown = masked(settings)
    text = repr(shown)
    for secret in ("auth-secret-value", "turn-secret-value", "ws-pass", "open311-key",
                   "partner-key", "token-a", "metrics-token-value"):  # fmt: skip
        assert secret not in text, secret
    dispatch = shown["plugins"]["config"]["dispatch"]
    assert dispatch["open311_api_keys"] == MASK
    assert dispatch["partner"] == {"api_key": MASK, "tokens": MASK}
    assert dispatch["appeal_limit"] == 5  # not everything is masked
    assert shown["calls"]["ice_servers"] == ["turn:h:3478"]
    assert shown["media"]["external_workers"] == [f"ws://worker:{MASK}@w1:9000/control"]
    assert shown["auth"]["secret_key"] == MASK
    assert shown["metrics_token"] == MASK


def test_settings_errors_leave_the_value_out() -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(calls={"turn_secret": 987654321, "turn_ttl_s": "a-secret-looking-value"})
    described = describe_errors(raised.value)
    assert "calls.turn_secret" in described
    assert "987654321" not in described
    assert "a-secret-looking-value" not in described


class KeyedConfig(BaseModel):
    api_keys: list[int]
    token: SecretStr


class Keyed(BasePlugin):
    name = "keyed"
    config_model = KeyedConfig


def test_plugin_configuration_errors_leave_the_value_out() -> None:
    raw: dict[str, Any] = {"api_keys": ["plugin-secret-key"], "token": "fine-token"}
    with pytest.raises(PluginError) as raised:
        validate_config(Keyed(), raw)
    message = str(raised.value)
    assert "api_keys.0" in message
    assert "plugin-secret-key" not in message
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_the_time_zone_is_shanghai_unless_set_and_must_be_a_real_zone() -> None:
    assert Settings().time_zone == "Asia/Shanghai"
    assert Settings(time_zone="Europe/Berlin").time_zone == "Europe/Berlin"
    for wrong in ("Mars/Olympus", "../../etc/passwd", ""):
        with pytest.raises(ValidationError) as raised:
            Settings(time_zone=wrong)
        assert "time_zone" in describe_errors(raised.value)
