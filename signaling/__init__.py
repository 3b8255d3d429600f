"""GridHub signaling package."""
