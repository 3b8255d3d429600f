"""The GridHub testing kit: real hubs for the tests of plugins (and of GridHub itself).

Part of the supported surface beside hub.sdk, with the same promise: the names in `__all__`
keep their meaning across releases, a change is announced and deprecated first. It is for
tests only; a plugin's own code imports nothing of GridHub but hub.sdk.

    async with running_hub(["hello"], demo=True) as hub:
        keeper = await hub.add_person("keeper", [("hello_keeper", "370783")])
        client = await hub.sign_in("keeper")
        greetings = await client.json("GET", "/api/v1/hello/greetings")
        socket = await hub.socket("keeper")
        ack = await socket.ok("hello.post", {"grid_id": ..., "text": "你好"})

pytest fixtures (start_gridhub, gridhub_demo_template): `pytest_plugins =
["hub.testing.fixtures"]` in the plugin's conftest.py (docs/plugins.md, Testing).
"""

from __future__ import annotations

from hub.testing.clients import HubClient, SocketClient, error_code, sign_in
from hub.testing.hubs import ADMIN, PASSWORD, RunningHub, installed_plugins, running_hub

# The supported names. The helpers of the submodules (hub_settings, the demo template) serve
# GridHub's own fixtures and are internal like the rest of hub/.
__all__ = [
    "ADMIN",
    "PASSWORD",
    "HubClient",
    "RunningHub",
    "SocketClient",
    "error_code",
    "installed_plugins",
    "running_hub",
    "sign_in",
]
