"""One uploaded row checked against its row model: the words people write (户主, 高) turned into
codes, a blank cell taken as absent, and each field's failure as a Problem (field_required for a
blank required cell, field_invalid otherwise). Shared by the import of residents and houses
(importer.py) and of places and organisations (unit_import.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from plugins.archives.checks import Problem
from plugins.archives.tables import WORDS


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


def parse_row(model: type[BaseModel], values: dict[str, str]
              ) -> tuple[BaseModel | None, list[Problem]]:  # fmt: skip
    known = {k: WORDS.get(k, {}).get(v, v) for k, v in values.items() if not k.startswith("_")}
    try:
        return model.model_validate(known), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "row"
            blank = error["type"] == "missing" or error.get("input") is None
            code = "archives.field_required" if blank else "archives.field_invalid"
            problems.append(Problem(name, code, error["msg"]))
        return None, problems
