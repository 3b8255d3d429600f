"""GridHub core: bus, grid tree, identity, plugin host and the composition root."""

__version__ = "0.1.0"
