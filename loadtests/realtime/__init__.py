"""Real-time core load tests: held connections, channel fan-out and send latency.

Run with ``python -m loadtests.realtime {connections,fanout,latency,all}``; see
docs/benchmarks.md for the figures and the exact commands.
"""
