"""Reading uploaded tables (CSV or XLSX) into rows of text keyed by field name, and the column
names and value words the import and export share (zh-CN or English, as people write them)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime

import openpyxl

from plugins.archives.checks import Problem

MAX_ROWS = 200_000
MAX_COLUMNS = 40
MAX_CELL = 500

# field → (zh header, en header); the export writes the zh header, the import takes any of
# the field's name, its zh or its en header.
RESIDENT_COLUMNS: dict[str, tuple[str, str]] = {
    "grid": ("网格编码", "Grid code"), "name": ("姓名", "Name"),
    "id_number": ("身份证号", "ID number"), "sex": ("性别", "Sex"),
    "birth_date": ("出生日期", "Birth date"), "category": ("人口类型", "Category"),
    "phone": ("联系电话", "Phone"), "occupation": ("职业", "Occupation"),
    "household": ("户号", "Household"), "relation": ("与户主关系", "Relation"),
    "house": ("房屋编码", "House code"), "tags": ("重点人群", "Key groups"),
}  # fmt: skip
HOUSE_COLUMNS: dict[str, tuple[str, str]] = {
    "code": ("房屋编码", "House code"), "grid": ("网格编码", "Grid code"),
    "address": ("地址", "Address"), "house_type": ("房屋类型", "House type"),
    "use": ("房屋用途", "Use"), "owner": ("房主", "Owner"), "area_m2": ("面积", "Area m2"),
    "floors": ("层数", "Floors"), "lng": ("经度", "Longitude"), "lat": ("纬度", "Latitude"),
}  # fmt: skip
PLACE_COLUMNS: dict[str, tuple[str, str]] = {
    "name": ("名称", "Name"), "grid": ("网格编码", "Grid code"), "kind": ("类型", "Kind"),
    "risk_level": ("风险等级", "Risk level"),
    "inspection_interval_days": ("巡查周期(天)", "Inspection interval (days)"),
    "contact_name": ("联系人", "Contact"), "phone": ("联系电话", "Phone"),
    "address": ("地址", "Address"), "lng": ("经度", "Longitude"), "lat": ("纬度", "Latitude"),
}  # fmt: skip
# the import takes the export's columns of places and two more
PLACE_IMPORT_COLUMNS: dict[str, tuple[str, str]] = {
    **PLACE_COLUMNS, "credit_code": ("统一社会信用代码", "Credit code"),
    "employees": ("从业人数", "Employees"),
}  # fmt: skip
ORG_COLUMNS: dict[str, tuple[str, str]] = {
    "name": ("名称", "Name"), "grid": ("网格编码", "Grid code"), "kind": ("类型", "Kind"),
    "leader_name": ("负责人", "Leader"), "phone": ("联系电话", "Phone"),
    "members": ("成员数", "Members"), "address": ("地址", "Address"),
    "lng": ("经度", "Longitude"), "lat": ("纬度", "Latitude"),
}  # fmt: skip

# value words → codes (the codes themselves are taken too)
WORDS: dict[str, dict[str, str]] = {
    "sex": {"男": "m", "女": "f", "male": "m", "female": "f"},
    "category": {"户籍": "registered", "户籍人口": "registered", "常住": "resident",
                 "常住人口": "resident", "流动": "floating", "流动人口": "floating"},
    "relation": {"户主": "head", "本人": "head", "配偶": "spouse", "妻": "spouse", "夫": "spouse",
                 "子": "child", "女": "child", "子女": "child", "父母": "parent", "父亲": "parent",
                 "母亲": "parent", "孙子": "grandchild", "孙女": "grandchild",
                 "孙子女": "grandchild", "祖父母": "grandparent", "兄弟姐妹": "sibling",
                 "租户": "tenant", "其他": "other"},
    "house_type": {"平房": "bungalow", "楼房": "building", "别墅": "villa", "院落": "courtyard",
                   "其他": "other"},
    "use": {"自住": "self", "出租": "rented", "空置": "vacant", "商铺": "shop", "门面": "shop"},
    # places' and organisations' kinds (no word names two codes)
    "kind": {"商铺": "shop", "企业": "enterprise", "学校": "school", "医疗机构": "clinic",
             "诊所": "clinic", "危化品场所": "hazardous", "人员密集场所": "crowded",
             "其他": "other",
             "村委会": "village_committee", "居委会": "village_committee",
             "村（居）委会": "village_committee", "社会组织": "social", "物业公司": "property",
             "企业党组织": "enterprise_party"},
    "risk_level": {"低": "low", "中": "medium", "高": "high"},
}  # fmt: skip
CODE_WORDS: dict[str, dict[str, str]] = {
    "sex": {"m": "男", "f": "女"},
    "category": {"registered": "户籍人口", "resident": "常住人口", "floating": "流动人口"},
    "relation": {"head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母",
                 "grandchild": "孙子女", "grandparent": "祖父母", "sibling": "兄弟姐妹",
                 "tenant": "租户", "other": "其他"},
    "house_type": {"bungalow": "平房", "building": "楼房", "villa": "别墅", "courtyard": "院落",
                   "other": "其他"},
    "use": {"self": "自住", "rented": "出租", "vacant": "空置", "shop": "商铺"},
    "kind": {"shop": "商铺", "enterprise": "企业", "school": "学校", "clinic": "医疗机构",
             "hazardous": "危化品场所", "crowded": "人员密集场所", "other": "其他"},
    "risk_level": {"low": "低", "medium": "中", "high": "高"},
}  # fmt: skip


class TableError(Exception):
    """The upload is not a table we can read (the whole file is refused)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def header_map(columns: dict[str, tuple[str, str]]) -> dict[str, str]:
    found = {field: field for field in columns}
    for field, (zh, en) in columns.items():
        found[zh] = field
        found[en.lower()] = field
    return found


def read_table(data: bytes, fmt: str) -> Iterator[list[str]]:
    """The rows of the upload's first sheet as text (header first); at most MAX_ROWS + 1."""
    rows = _csv_rows(data) if fmt == "csv" else _xlsx_rows(data)
    for number, row in enumerate(rows):
        if number > MAX_ROWS:
            raise TableError(Problem("file", "archives.import_too_large",
                                     f"at most {MAX_ROWS} rows per file"))  # fmt: skip
        if len(row) > MAX_COLUMNS:
            raise TableError(Problem("file", "archives.import_unreadable",
                                     f"at most {MAX_COLUMNS} columns"))  # fmt: skip
        yield [cell.strip()[: MAX_CELL + 1] for cell in row]


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    # Excel saves CSV as UTF-8 with a BOM, or (zh-CN Windows) as GB18030
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(Problem("file", "archives.import_unreadable",
                                 "not UTF-8 or GB18030 text"))  # fmt: skip
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise TableError(Problem("file", "archives.import_unreadable", str(exc))) from exc


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
        raise TableError(Problem("file", "archives.import_unreadable",
                                 "not an XLSX workbook")) from exc  # fmt: skip
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
            cells = [_cell_text(value) for value in row]
            while cells and not cells[-1]:  # read-only sheets pad rows to max_col
                cells.pop()
            yield cells
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
