"""GridHub consoles package."""
