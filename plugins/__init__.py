"""GridHub plugins package."""
