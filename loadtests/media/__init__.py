"""Benchmark of one media worker: concurrent participants in mixed group audio."""
