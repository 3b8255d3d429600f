"""The media worker: a separate process running aiortc rooms, driven by the hub over /control."""
