"""Fixtures for load-tool tests that need a hub in this process (tests/hub's)."""

from tests.hub.conftest import demo_template, start_hub  # noqa: F401  (fixtures)
