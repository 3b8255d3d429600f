"""A private nginx in front of test nodes: the shipped deploy/nginx/gridhub.conf, with this
run's ports, certificate and node addresses put in, under a minimal main configuration.

nginx runs in the foreground (`daemon off`) as the test's child, with every path it writes
(pid, logs, temporary files) under the test's directory, and is stopped by the test.

`open_site` puts it in front of three real nodes on PostgreSQL and Redis. Clients come from
127.0.0.5 and nginx reaches the nodes from 127.0.0.1, the only address the nodes trust
(`trusted_proxies`), so the address a node records tells whether it believed a forwarded
header.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import json
import shutil
import signal
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import text

from hub.demo_data import DEMO_PASSWORD
from storage.sql import create_engine
from tests import services
from tests.cluster.nodes import Cluster, Node, deployment

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx" / "gridhub.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
EXAMPLE_NODES = ("10.0.0.11:8080", "10.0.0.12:8080", "10.0.0.13:8080")
START_DEADLINE_S = 20.0
PROXY = "127.0.0.1"  # where nginx connects to the nodes from: trusted
CLIENT = "127.0.0.5"  # where every client connects from: not trusted
NODE_ENV = {
    "GRIDHUB_TRUSTED_PROXIES": json.dumps([PROXY]),
    "GRIDHUB_REALTIME__NODE_TTL_S": "2",
    "GRIDHUB_REALTIME__SWEEP_INTERVAL_S": "0.3",
    "GRIDHUB_AUTH__ACCESS_TTL_S": "3600",
    "GRIDHUB_PLUGINS__ENABLED": '["alarms"]',  # devices' /ws/device
    "GRIDHUB_PLUGINS__CONFIG": json.dumps({"alarms": {"rate_burst": 10_000}}),
}

MAIN = """\
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/gridhub.conf;
}}
"""


@dataclass(frozen=True)
class FrontDoor:
    https_url: str
    http_url: str
    certificate: Path
    directory: Path

    def client_tls(self) -> ssl.SSLContext:
        """What a client that trusts the operator's certificate verifies against."""
        return ssl.create_default_context(cafile=str(self.certificate))

    def error_log(self) -> str:
        return (self.directory / "error.log").read_text(errors="replace")


def self_signed(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A certificate and key for `host` (an IP address), valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gridhub test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def render(nodes: Sequence[str], https_port: int, http_port: int, cert: Path, key: Path) -> str:
    """The shipped template with every line marked CHANGE filled in; each must be found."""
    text = TEMPLATE.read_text()
    swaps = [(example, node) for example, node in zip(EXAMPLE_NODES, nodes, strict=True)]
    swaps += [
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;\n", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;\n", ""),
        ("/etc/ssl/gridhub/fullchain.pem", str(cert)),
        ("/etc/ssl/gridhub/privkey.pem", str(key)),
    ]
    for old, new in swaps:
        assert old in text, f"{old!r} is no longer in {TEMPLATE}"
        text = text.replace(old, new)
    return text


@contextlib.contextmanager
def nginx(
    directory: Path, nodes: Sequence[str], https_port: int, http_port: int
) -> Iterator[FrontDoor]:
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = self_signed(directory)
    (directory / "gridhub.conf").write_text(render(nodes, https_port, http_port, cert, key))
    main = directory / "nginx.conf"
    main.write_text(MAIN.format(dir=directory))
    check = subprocess.run([NGINX, "-t", "-p", str(directory), "-c", str(main)],
                           capture_output=True, text=True, timeout=30)  # fmt: skip
    assert check.returncode == 0, check.stderr
    with (directory / "stderr.log").open("wb") as out:
        process = subprocess.Popen(
            [NGINX, "-p", str(directory), "-c", str(main)], stdout=out, stderr=out
        )
    door = FrontDoor(
        f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", cert, directory
    )
    try:
        yield door
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: workers finish, then the master exits
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


async def wait_serving(door: FrontDoor) -> None:
    """Until nginx answers /healthz over TLS from a node (bounded)."""
    deadline = time.monotonic() + START_DEADLINE_S
    connector = aiohttp.TCPConnector(ssl=door.client_tls())
    async with aiohttp.ClientSession(connector=connector) as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with http.get(door.https_url + "/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.05)
    raise RuntimeError(f"nginx did not serve:\n{door.error_log()[-3000:]}")


# --- the site: three nodes behind nginx ------------------------------------------------------


@dataclass
class Site:
    cluster: Cluster
    nodes: dict[str, Node]
    door: FrontDoor
    http: aiohttp.ClientSession  # from CLIENT, trusting the site's certificate

    def session(self) -> aiohttp.ClientSession:
        return client_session(self.door)

    async def restart(self, name: str) -> None:
        """The node again, on its old port (the one nginx knows)."""
        self.nodes[name] = await self.cluster.start(name, self.nodes[name].port)


@contextlib.asynccontextmanager
async def open_site(postgres_server: str, directory: Path) -> AsyncIterator[Site]:
    """Three nodes sharing a fresh database (the demo county) and Redis, nginx in front."""
    with deployment(postgres_server, directory, "gridhub_nginx_", NODE_ENV) as cluster:
        nodes = await cluster.start_together("a", "b", "c")
        upstreams = [f"127.0.0.1:{node.port}" for node in nodes]
        ports = services.free_port(), services.free_port()
        with nginx(directory / "nginx", upstreams, *ports) as door:
            await wait_serving(door)
            async with client_session(door) as http:
                yield Site(cluster, {n.name: n for n in nodes}, door, http)


def client_session(door: FrontDoor) -> aiohttp.ClientSession:
    """From CLIENT, trusting the site's certificate."""
    connector = aiohttp.TCPConnector(ssl=door.client_tls(), local_addr=(CLIENT, 0))
    return aiohttp.ClientSession(connector=connector)


async def login(site: Site, username: str, url: str = "", **headers: str) -> str:
    body = {"username": username, "password": DEMO_PASSWORD}
    async with site.http.post(
        (url or site.door.https_url) + "/api/v1/auth/login", json=body, headers=headers
    ) as response:
        reply = await response.json()
        assert response.status == 200, reply
        return str(reply["access_token"])


async def rows(site: Site, query: str, **params: Any) -> list[Any]:
    engine = create_engine(site.cluster.database_url)
    try:
        async with engine.connect() as conn:
            return list(await conn.execute(text(query), params))
    finally:
        await engine.dispose()


async def session_address(site: Site, user_agent: str) -> str:
    found = await rows(
        site, "SELECT source_ip FROM login_sessions WHERE user_agent = :ua", ua=user_agent
    )
    assert len(found) == 1, found
    return str(found[0][0])
