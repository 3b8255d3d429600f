"""In-process adapters for the embedded single-node mode."""
