"""Checks of the values people type into the archive, shared by the API and the importer.

Each check answers a list of `Problem`s (field, stable code, message) rather than raising, so an
import can report every bad field of every row; the API raises the first as an InvalidInput.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from hub.sdk import InvalidInput

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
EARLIEST_BIRTH = date(1890, 1, 1)


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


def raise_first(problems: list[Problem]) -> None:
    """The API's answer to bad input: the first problem as a structured 422 (with all listed)."""
    if problems:
        first = problems[0]
        details = {"field": first.field, "problems": [p.as_dict() for p in problems]}
        raise InvalidInput(first.code, f"{first.field}: {first.message}", details=details)


def normalise_id(value: str) -> str:
    return value.strip().upper()


def normalise_phone(value: str) -> str:
    return re.sub(r"[\s()]", "", value.strip())


def id_birth_date(id_number: str) -> date | None:
    """The birth date written in an 18-digit ID number (digits 7–14), or None if impossible."""
    try:
        born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None
    return born if EARLIEST_BIRTH <= born <= date.today() else None


def id_sex(id_number: str) -> str:
    """Digit 17 of the ID number: odd for men, even for women."""
    return "m" if int(id_number[16]) % 2 else "f"


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def check_id_number(value: str, field: str = "id_number") -> list[Problem]:
    """GB 11643-1999: 17 digits (region, birth date, sequence) and a check character."""
    if not ID_SHAPE.match(value):
        return [Problem(field, "archives.id_invalid", "an ID number is 17 digits and 0-9 or X")]
    if id_check_digit(value[:17]) != value[17]:
        return [Problem(field, "archives.id_checksum", "the check digit does not match")]
    if id_birth_date(value) is None:
        return [Problem(field, "archives.id_birth_date", "the birth date in it is impossible")]
    return []


def check_phone(value: str, field: str = "phone") -> list[Problem]:
    if value and not (MOBILE.match(value) or LANDLINE.match(value)):
        message = "a mobile number (11 digits, 1[3-9]...) or a landline (0xxx-xxxxxxx)"
        return [Problem(field, "archives.phone_invalid", message)]
    return []


def check_birth_date(id_number: str, birth_date: date | None) -> list[Problem]:
    """A birth date given beside the ID number must be the one written in it."""
    if birth_date is not None and birth_date != id_birth_date(id_number):
        return [Problem("birth_date", "archives.birth_date_mismatch",
                        "differs from the birth date in the ID number")]  # fmt: skip
    return []


def check_sex(id_number: str, sex: str | None) -> list[Problem]:
    if sex is not None and sex != id_sex(id_number):
        return [Problem("sex", "archives.sex_mismatch", "differs from the sex in the ID number")]
    return []


def check_coordinates(lng: float | None, lat: float | None) -> list[Problem]:
    if (lng is None) != (lat is None):
        return [Problem("lng", "archives.coordinates_partial", "give both lng and lat, or none")]
    return []


def mask_id(id_number: str) -> str:
    """370783********1234: the region and the last four, as lists and exports show it."""
    if len(id_number) < 10:
        return id_number[:1] + "***"
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else phone[0] + "***"
