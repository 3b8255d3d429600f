"""GridHub media package."""
