"""Alarms plugin: IoT alarm streams from devices (物联感知)."""
