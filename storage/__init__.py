"""GridHub storage package."""
