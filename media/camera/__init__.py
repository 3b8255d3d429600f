"""Camera gateway: RTSP cameras and media files relayed live to WebRTC viewers."""
