"""OASIS CAP 1.2 for one alarm, and an ATOM feed of active alarms carrying CAP entries."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime

from plugins.alarms.models import Alarm
from plugins.alarms.state import DeviceInfo

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
SENDER = "gridhub@alarms"

CATEGORY = {
    "smoke": "Fire",
    "fire": "Fire",
    "gas": "Safety",
    "water_level": "Met",
    "flood": "Met",
    "temperature": "Env",
    "door": "Security",
    "intrusion": "Security",
    "camera": "Security",
    "manhole": "Infra",
    "offline": "Infra",
}
SEVERITY = {
    "CRITICAL": "Extreme",
    "MAJOR": "Severe",
    "MINOR": "Moderate",
    "WARNING": "Minor",
    "INDETERMINATE": "Unknown",
}


def cap_time(moment: datetime) -> str:
    """CAP's dateTime form: seconds and an explicit offset (never "Z")."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def identifier(alarm: Alarm) -> str:
    """The Alert's identifier: one per alarm (a re-raised alarm is a new alarm)."""
    return f"gridhub-alarm-{alarm.id}"


def alert_sent(alarm: Alarm) -> str:
    """When the Alert originated: the alarm's first report, the same on every fetch."""
    return cap_time(alarm.first_at)


def cancel_sent(alarm: Alarm) -> str:
    """When the Cancel originated: the clearing (last report if a row lacks that time)."""
    return cap_time(alarm.cleared_at or alarm.last_at)


def references(alarm: Alarm) -> str:
    """CAP's `sender,identifier,sent` of the Alert a Cancel withdraws."""
    return f"{SENDER},{identifier(alarm)},{alert_sent(alarm)}"


def alert(alarm: Alarm, device: DeviceInfo | None) -> ET.Element:
    """The alarm as one CAP message: its Alert while active, the Cancel of it once cleared.

    A message's identity (sender, identifier, sent) comes from the alarm's own times, never
    from the time of the request, so a consumer sees the same message on every fetch.
    """
    root = ET.Element(f"{{{CAP_NS}}}alert")
    cleared = not alarm.active
    _add(root, "identifier", identifier(alarm) + ("-cleared" if cleared else ""))
    _add(root, "sender", SENDER)
    _add(root, "sent", cancel_sent(alarm) if cleared else alert_sent(alarm))
    _add(root, "status", "Actual")
    _add(root, "msgType", "Cancel" if cleared else "Alert")
    _add(root, "scope", "Restricted")
    _add(root, "restriction", "command centres covering the device's grid")
    if cleared:
        _add(root, "references", references(alarm))
    _info(root, alarm, device)
    return root


def _info(root: ET.Element, alarm: Alarm, device: DeviceInfo | None) -> None:
    info = _add(root, "info")
    _add(info, "language", "zh-CN")
    _add(info, "category", CATEGORY.get(alarm.type, "Other"))
    _add(info, "event", alarm.type)
    _add(info, "urgency", "Immediate" if alarm.active else "Past")
    _add(info, "severity", SEVERITY.get(alarm.severity, "Unknown"))
    _add(info, "certainty", "Observed")
    _add(info, "onset", cap_time(alarm.first_at))
    _add(info, "senderName", "GridHub")
    name = device.name if device else alarm.device_code
    _add(info, "headline", f"{alarm.type} {alarm.severity}: {name}"[:160])
    _add(info, "description", alarm.message or f"{alarm.type} alarm from {alarm.device_code}")
    for key, value in (
        ("device", alarm.device_code),
        ("gridhubSeverity", alarm.severity),
        ("count", str(alarm.count)),
        ("acknowledged", str(alarm.acknowledged).lower()),
        ("value", "" if alarm.value is None else f"{alarm.value:g}"),
    ):
        parameter = _add(info, "parameter")
        _add(parameter, "valueName", key)
        _add(parameter, "value", value)
    area = _add(info, "area")
    _add(area, "areaDesc", name)
    if device is not None and device.lat is not None and device.lon is not None:
        _add(area, "circle", f"{device.lat:.6f},{device.lon:.6f} 0")


def _add(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        child.text = text
    return child


def to_xml(element: ET.Element) -> bytes:
    ET.register_namespace("", CAP_NS)
    data: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return data


def feed(alarms: Iterable[tuple[Alarm, DeviceInfo | None]], base_url: str, now: datetime) -> bytes:
    """ATOM 1.0: one entry per alarm, the CAP alert as the entry's content.

    `base_url` is the alarms API's own URL (…/api/v1/alarms): an entry's id is the alarm's
    resource there and its alternate link the alarm's CAP message.
    """
    ET.register_namespace("", ATOM_NS)
    ET.register_namespace("cap", CAP_NS)
    root = ET.Element(f"{{{ATOM_NS}}}feed")
    _atom(root, "id", f"{base_url}/feed")
    _atom(root, "title", "GridHub active alarms")
    _atom(root, "updated", cap_time(now))
    author = _atom(root, "author")
    _atom(author, "name", "GridHub")
    ET.SubElement(root, f"{{{ATOM_NS}}}link", rel="self", href=f"{base_url}/feed.atom")
    for alarm, device in alarms:
        entry = _atom(root, "entry")
        _atom(entry, "id", f"{base_url}/{alarm.id}")  # the alarm's resource under the feed's base
        _atom(entry, "title", f"{alarm.type} {alarm.severity}: {alarm.device_code}")
        _atom(entry, "updated", cap_time(alarm.last_at))
        href = f"{base_url}/{alarm.id}/cap"
        ET.SubElement(
            entry, f"{{{ATOM_NS}}}link", rel="alternate", href=href, type="application/cap+xml"
        )
        content = _atom(entry, "content")
        content.set("type", "application/cap+xml")
        content.append(alert(alarm, device))
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def _atom(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}")
    if text is not None:
        child.text = text
    return child
