"""Redis-backed adapters (Redis Streams bus transport)."""
