"""Call benchmarks: 1:1 call set-up time through the hub's signaling between aiortc peers."""
