"""Device fleet benchmarks for the alarms plugin (see docs/benchmarks.md)."""
