"""HTTP API routers of the core (plugins mount their own under /api/v1/<plugin>)."""
