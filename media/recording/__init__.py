"""Recording: calls, group calls and SOS audio (and video) to files, with metadata rows."""
