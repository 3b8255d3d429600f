"""Benchmark 2: one sender into a 500-member channel, hub beside a bare python-socketio server."""

from __future__ import annotations

from typing import Any

from loadtests.realtime.accounts import login_bench
from loadtests.realtime.receivers import generator_bound
from loadtests.realtime.servers import ServerProcess, baseline_process, hub_process
from loadtests.realtime.settings import BenchOptions
from loadtests.realtime.stats import latency_summary
from loadtests.realtime.traffic import Plan, Received, Sent, drive


def figures(reached: int, sent: Sent, received: Received, plan: Plan) -> dict[str, Any]:
    deliveries = len(received.latencies_s)
    span = max(received.last_at - sent.first, 1e-9)
    return {
        "messages_sent": len(sent.at),
        "send_seconds": round(sent.last - sent.first, 3),
        "acks_ok": len(sent.ack_s),
        "acks_failed": sent.failed.total(),
        "ack_errors": dict(sent.failed),
        "receivers": len(plan.receiver_tokens),
        "receiver_mode": plan.receivers,
        "probe_reached": reached,
        "deliveries": deliveries,
        "deliveries_expected": plan.count * len(plan.receiver_tokens),
        "receivers_complete": sum(1 for n in received.per_receiver if n == plan.count),
        "receivers_in_order": received.in_order,
        "receivers_exactly_once": received.exact,
        "receivers_in_offset_order": received.in_offset_order,
        "receivers_dropped": received.dropped.total(),
        "drop_reasons": dict(received.dropped),
        "delivery_seconds": round(span, 3),
        "deliveries_per_s": round(deliveries / span, 1),
        "delivery": latency_summary(received.latencies_s),
        "ack": latency_summary(sent.ack_s),
        "cpu": received.usage,
        "generator_cpu_pct": received.usage.get("loadgen_cpu_pct", 0.0),
        "generator_bound": generator_bound(received.usage),
    }


async def hub_plan(
    hub: ServerProcess, members: int, count: int, rate: float, mode: str = "raw"
) -> Plan:
    accounts = await login_bench(hub.url, members + 1)
    sender, receivers = accounts[0], accounts[1:]
    tokens, ids = [a.token for a in receivers], [a.person_id for a in receivers]
    return Plan(hub.url, sender.token, tokens, ids, count, rate, server_pid=hub.pid,
                receivers=mode)  # fmt: skip


async def run_hub(opts: BenchOptions, members: int, count: int, rate: float) -> dict[str, Any]:
    hub = hub_process(opts.data_dir, opts.ping_interval_s)
    await hub.start()
    try:
        plan = await hub_plan(hub, members, count, rate, opts.receivers)
        return figures(*await drive(plan), plan)
    finally:
        hub.stop()


async def run_baseline(opts: BenchOptions) -> dict[str, Any]:
    server = baseline_process(opts.data_dir, opts.ping_interval_s)
    await server.start()
    try:
        tokens = [f"baseline-{i}" for i in range(opts.members)]
        plan = Plan(
            server.url,
            "sender",
            tokens,
            [],
            opts.messages,
            opts.rate,
            server_pid=server.pid,
            receivers=opts.receivers,
        )
        return figures(*await drive(plan), plan)
    finally:
        server.stop()


def ratio(hub: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    def div(a: float, b: float) -> float:
        return round(a / b, 3) if b else float("nan")

    return {
        "deliveries_per_s_hub_over_baseline": div(
            hub["deliveries_per_s"], base["deliveries_per_s"]
        ),
        "p50_hub_over_baseline": div(hub["delivery"]["p50_ms"], base["delivery"]["p50_ms"]),
        "p99_hub_over_baseline": div(hub["delivery"]["p99_ms"], base["delivery"]["p99_ms"]),
    }


async def run_fanout(opts: BenchOptions) -> dict[str, Any]:
    base = await run_baseline(opts)
    result: dict[str, Any] = {"benchmark": "fanout", "settings": opts.public(), "baseline": base}
    try:
        result["hub"] = await run_hub(opts, opts.members, opts.messages, opts.rate)
    except Exception as exc:
        result["hub"] = {"error": f"{type(exc).__name__}: {exc}"}
        return result
    result["ratio"] = ratio(result["hub"], base)
    return result
