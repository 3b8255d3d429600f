"""Redis-backed adapters: the Redis Streams bus transport and other cluster stores."""
