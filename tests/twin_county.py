"""One realistic county written four ways with the same facts (a differential audit of the sync).

`county()` gives the facts: a registry of schools of every type (kindergartens, high-school level,
boarding, several campuses), a school's workbook per school and the bureau's inspections, in the
Traditional spelling of the data contract, as Python values (dates, True/False, numbers, text).
`books(form)` lays them out as workbooks a person of that county would send:

- "trad":  the template as the contract spells it (sheet names, headers, 是/否, real dates);
- "simp":  a mainland county: every sheet name, header and typed value in Simplified characters,
           written by hand as a person types them (幼儿园, 九年一贯制, 安全制度上墙, 专用档案柜 ...), the
           free text (names, townships, topics) through OpenCC's plain t2s;
- "en":    the English keys as sheet names and headers, the values in Traditional;
- "mixed": what offices produce: each sheet headed in another script (Traditional, Simplified, English,
           bilingual), full-width digits, Y/N, ✓/✗, true/false, 1/0, every date form the contract lists,
           numbers as text with thousands separators, trailing spaces, a title row, blank rows, a notes
           line and a hidden extra sheet.

A book is {sheet name: [title/blank/header/record rows]} plus the names of hidden sheets; `write_book`
writes it with openpyxl or xlsxwriter.  The facts include rows the sync must refuse in every form
(signed classes above classes, a drill dated after "today", a fund spent on a use not in the list, a
guard born in 2015, assessed points above the indicator's maximum).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from opencc import OpenCC

from sync import contract

TODAY = date(2026, 11, 30)
_T2S = OpenCC("t2s")

# ---------------------------------------------------------------- Simplified spellings, typed by hand

SIMP_SHEETS = {
    "school": "学校概况", "campuses": "校区", "checklist": "基础工作", "agreements": "责任书",
    "office_staff": "安全办人员", "drills": "应急演练", "education": "安全教育", "guards": "保安人员",
    "guard_training": "保安培训", "guard_drills": "保安演练", "gate_duty": "护学岗", "hazards": "隐患整改",
    "funds": "安全经费", "registry": "学校名册", "inspections": "督查记录",
}
SIMP_HEADERS = {
    "school": ["学校代码", "学校名称", "学校类别", "所属乡镇", "寄宿制"],
    "campuses": ["校区名称", "在校学生数", "教职工数", "寄宿生数", "安全保卫室", "一键报警"],
    "checklist": ["项目", "是否完成", "文号或说明", "日期"],
    "agreements": ["年度", "教职工总数", "已签订人数"],
    "office_staff": ["姓名", "职务", "到岗日期", "离岗日期"],
    "drills": ["演练日期", "校区", "演练类型", "有预案", "评定结果", "参演班级数", "签到班级数", "参演人数"],
    "education": ["日期", "类型", "主题", "含安全内容", "参加人数", "应参加人数"],
    "guards": ["姓名", "校区", "出生日期", "保安公司", "上岗日期", "离岗日期", "头盔", "钢叉", "橡皮棍", "辣椒水",
               "防护盾牌", "防割手套", "防刺背心"],
    "guard_training": ["姓名", "开始日期", "结束日期", "脱产", "内容"],
    "guard_drills": ["日期", "校区", "内容"],
    "gate_duty": ["日期", "校区", "时段", "民警到岗"],
    "hazards": ["编号", "发现日期", "隐患描述", "类别", "责任人", "整改时限", "完成日期"],
    "funds": ["日期", "用途", "金额"],
    "registry": ["学校代码", "学校名称", "学校类别", "所属乡镇"],
    "inspections": ["日期", "学校代码", "类型", "发现问题", "扣分", "弄虚作假", "重大安全事故", "指标", "考评得分"],
}
SIMP_VALUES = {
    # school types, education kinds, fund uses, roles, inspection kinds, checklist items: as typed on the mainland
    "幼兒園": "幼儿园", "小學": "小学", "初中": "初中", "九年一貫制": "九年一贯制", "高中": "高中",
    "完全中學": "完全中学", "中職": "中职",
    "安全教育課": "安全教育课", "家長會": "家长会", "安全講座": "安全讲座", "專題教育": "专题教育",
    "教職工培訓": "教职工培训",
    "隱患整治": "隐患整治", "安全宣傳": "安全宣传", "應急救援": "应急救援", "表彰獎勵": "表彰奖励",
    "主任": "主任", "工作人員": "工作人员", "定期": "定期", "不定期": "不定期", "考評": "考评",
    "安全工作領導小組": "安全工作领导小组", "第一責任人": "第一责任人", "直接責任人": "直接责任人",
    "責任清單": "责任清单", "風險清單": "风险清单", "文件下發全體教職工": "文件下发全体教职工",
    "獨立安全辦公室": "独立安全办公室", "醒目標牌": "醒目标牌", "安全制度上墻": "安全制度上墙",
    "專用檔案柜": "专用档案柜", "視頻監控系統": "视频监控系统", "安全教育納入教學計劃": "安全教育纳入教学计划",
    "年度演練計劃": "年度演练计划", "問題清單報局備案": "问题清单报局备案",
    "是": "是", "否": "否",
}
assert set(SIMP_HEADERS) == set(SIMP_SHEETS) == set(contract.SHEETS)
assert all(len(SIMP_HEADERS[k]) == len(contract.SHEETS[k].columns) for k in SIMP_HEADERS)


def simp(text: str) -> str:
    """What a mainland person types for `text`: the fixed lists by hand, anything else through t2s."""
    return SIMP_VALUES.get(text) or _T2S.convert(text)


# ---------------------------------------------------------------- the facts

@dataclass
class School:
    code: str
    name: str
    type: str
    township: str
    boarding: bool
    campuses: list[tuple]  # (campus, students, staff, boarders, security_room, alarm)
    submits: bool = True
    records: dict[str, list[list]] = field(default_factory=dict)  # sheet key -> rows in contract column order


SCHOOLS = [
    # code, name, type, township, boarding, campuses
    ("1410200101", "城關鎮第一幼兒園", "幼兒園", "城關鎮", False, [("本部", 320, 40, 0, True, True)]),
    ("1410200102", "東關鄉中心幼兒園", "幼兒園", "東關鄉", False, [("本部", 180, 22, 0, True, False)]),
    ("1410200201", "城關鎮第一小學", "小學", "城關鎮", False,
     [("本部", 980, 60, 0, True, True), ("東區", 520, 30, 0, True, True)]),
    ("1410200202", "東關鄉中心小學", "小學", "東關鄉", True, [("本部", 900, 70, 300, True, True)]),
    ("1410200203", "龍灣鎮實驗小學", "小學", "龍灣鎮", False, [("本部", 1000, 45, 0, True, True)]),
    ("1410200204", "樂平鄉雙龍小學", "小學", "樂平鄉", False, [("本部", 140, 15, 0, False, False)]),
    ("1410200301", "城關鎮第一初級中學", "初中", "城關鎮", True,
     [("本部", 1450, 110, 650, True, True), ("北校區", 300, 25, 0, True, False)]),
    ("1410200302", "龍灣鎮中學", "初中", "龍灣鎮", False, [("本部", 760, 58, 0, True, True)]),
    ("1410200401", "鐵爐鄉九年一貫制學校", "九年一貫制", "鐵爐鄉", True, [("本部", 620, 52, 299, True, True)]),
    ("1410200402", "發祥鎮九年一貫制學校", "九年一貫制", "發祥鎮", False, [("本部", 410, 38, 0, True, True)]),
    ("1410200501", "縣第一高級中學", "高中", "城關鎮", True,
     [("本部", 2100, 180, 1500, True, True), ("西校區", 800, 70, 600, True, True)]),
    ("1410200502", "縣第二高級中學", "高中", "臺頭鎮", True, [("本部", 1300, 120, 900, True, True)]),
    ("1410200601", "裡仁完全中學", "完全中學", "裡仁鄉", True, [("本部", 1100, 95, 450, True, True)]),
    ("1410200602", "乾溝完全中學", "完全中學", "乾溝鄉", False, [("本部", 690, 60, 0, True, True)]),
    ("1410200701", "縣職業技術學校", "中職", "城關鎮", True, [("本部", 1500, 130, 800, True, True)]),
    ("1410200702", "著雍中等專業學校", "中職", "東關鄉", False, [("本部", 480, 45, 0, True, True)]),
    ("1410200703", "縣衛生職業學校", "中職", "城關鎮", False, [], ),  # registered, sends nothing
]

GUARD_NAMES = "王強 李剛 張偉 劉洋 陳杰 楊帆 趙磊 黃勇 周濤 吳斌 徐亮 孫鵬 胡軍 朱超 高峰 林東 何平 郭輝 馬龍 羅斌".split()
STAFF_NAMES = ["張主任", "李幹事", "王幹事"]


def _guards_required(people: int, boarders: int) -> int:
    """4.5.1 as rules.md reads it (full steps)."""
    base = 2 if people < 500 else 4 if people <= 1000 else 4 + 2 * ((people - 1000) // 500)
    return base + 2 * (boarders // 300)


def _term_weeks_mondays() -> list[date]:
    """Mondays of ISO weeks of 2026 with >= 3 weekdays in a semester (spring 02-20..07-10, autumn 09-01..
    and the autumn of 2025 up to 01-20), up to TODAY."""
    def in_term(d: date) -> bool:
        return (date(2026, 2, 20) <= d <= date(2026, 7, 10) or d >= date(2026, 9, 1) or d <= date(2026, 1, 20))
    out, monday = [], date(2025, 12, 29)
    while monday <= TODAY:
        days = [monday + timedelta(k) for k in range(5)]
        if monday.isocalendar()[0] == 2026 and sum(in_term(d) for d in days) >= 3:
            out.append(monday)
        monday += timedelta(7)
    return out


TERM_MONTHS = [1, 3, 4, 5, 6, 9, 10, 11]  # up to TODAY (December is still running)


def _school_records(i: int, s: School) -> dict[str, list[list]]:
    rec: dict[str, list[list]] = {}
    high = s.type in contract.HIGH_SCHOOL_TYPES
    kg = s.type == contract.KINDERGARTEN
    rec["school"] = [[s.code, s.name, s.type, s.township, s.boarding]]
    rec["campuses"] = [list(c) for c in s.campuses]
    rec["checklist"] = [[item, (i + j) % 7 != 0, f"教安〔2026〕{j + 1}號", date(2026, 2, 1 + j)]
                        for j, item in enumerate(contract.CHECKLIST_ITEMS)]
    staff = sum(c[2] for c in s.campuses)
    rec["agreements"] = [[2026, staff, staff - i % 4], [2025, staff, staff]]
    office = [] if i == 5 else [["張主任", "主任", date(2023, 9, 1), None]]
    office += [["李幹事", "工作人員", date(2024, 3, 1), date(2026, 5, 31) if i == 4 else None]]
    if i % 3 == 0:
        office.append(["王幹事", "工作人員", date(2025, 9, 1), None])
    rec["office_staff"] = office
    campus = s.campuses[0][0]
    drills = []
    months = [3, 6, 9] if kg else [m for m in TERM_MONTHS if (m + i) % 6 != 0]
    for k, m in enumerate(months):
        place = s.campuses[k % len(s.campuses)][0]
        drills.append([date(2026, m, 10 + i % 9), place, "消防疏散" if k % 2 == 0 else "地震避險",
                       not (k == 1 and i % 4 == 1), "待評定" if (k == 2 and i % 3 == 2) else "良好",
                       12, 11 if (k == 0 and i % 5 == 3) else 12, 500 + 10 * k])
    if i == 2:  # two drills in one month cover one month only
        drills.append([date(2026, 4, 25), campus, "防踩踏", True, "合格", 12, 12, 480])
    if i == 7:  # refused everywhere: signed classes above classes
        drills.append([date(2026, 10, 28), campus, "防暴", True, "良好", 12, 13, 500])
    if i == 8:  # refused everywhere: after today
        drills.append([date(2026, 12, 20), campus, "消防疏散", True, "良好", 12, 12, 500])
    rec["drills"] = drills
    edu = []
    for w, monday in enumerate(_term_weeks_mondays()):
        if (w + i) % 9 != 4 and monday + timedelta(i % 5) <= TODAY:
            edu.append([monday + timedelta(i % 5), "安全教育課", "交通安全" if monday.month in (9, 10) else "校園安全",
                        True, None, None])
    edu.append([date(2026, 3, 20), "家長會", "家長會（防溺水）", True, 300, 320])
    edu.append([date(2026, 9, 25), "家長會", "新學期家長會", i % 2 == 0, 280, 320])
    edu.append([date(2026, 5, 22), "專題教育", "防溺水專題", None, None, None])
    if i % 3 != 1:
        edu.append([date(2026, 11, 9), "專題教育", "防火安全（消防日）", None, None, None])
    if high:
        lectures = [date(2026, 4, 8), date(2026, 5, 13), date(2026, 10, 14)] + ([date(2026, 11, 11)] if i % 2 else [])
        edu += [[d, "安全講座", "法治安全講座", None, 600, None] for d in lectures]
    edu.append([date(2026, 3, 6), "教職工培訓", "安全培訓（春）", None, staff - (i % 3), staff])
    edu.append([date(2026, 9, 11), "教職工培訓", "安全培訓（秋）", None, staff if i % 4 else staff - 5, staff])
    rec["education"] = edu
    guards, n = [], 0
    for c, (place, students, cstaff, boarders, *_rest) in enumerate(s.campuses):
        need = _guards_required(students + cstaff, boarders) - (1 if (i + c) % 4 == 3 else 0)
        for g in range(need):
            name = GUARD_NAMES[n % len(GUARD_NAMES)] + ("" if n < len(GUARD_NAMES) else str(n))
            n += 1
            birth = date(1975 + (g * 3) % 15, 1 + g % 12, 1 + (g * 7) % 27)
            if i == 3 and g == 0:
                birth = date(1970, 11, 30)  # 56 on TODAY: over
            if i == 3 and g == 1:
                birth = date(1970, 12, 1)  # 55 on TODAY: not over
            if i == 6 and g == 0 and c == 0:
                birth = date(1970, 6, 30)  # 56 on 2026-06-30: over by the month end
            if i == 6 and g == 1 and c == 0:
                birth = date(1970, 7, 1)  # not over on 06-30, over on TODAY
            company = "平安保安服務有限公司" if (g + i) % 5 else ("學校自聘" if i % 2 else None)
            end = date(2026, 4, 30) if (i == 10 and g == 2 and c == 0) else None
            kit = [not (g == 1 and k == 3 and i % 3 == 0) for k in range(7)]
            guards.append([name, place, birth, company, date(2024, 8, 20), end, *kit])
    if i == 12:  # refused everywhere: a guard born in 2015
        guards.append(["錢小寶", campus, date(2015, 5, 5), "平安保安服務有限公司", date(2026, 3, 1), None] + [True] * 7)
    rec["guards"] = guards
    training = []
    for g, row in enumerate(guards[:len(guards) - (1 if i == 12 else 0)]):
        training.append([row[0], date(2026, 3, 2), date(2026, 3, 4 if g % 4 else 3), True, "技能培訓"])
        if (g + i) % 3:
            training.append([row[0], date(2026, 9, 7), date(2026, 9, 9), g % 5 != 1, "技能培訓"])
    rec["guard_training"] = training
    rec["guard_drills"] = [[date(2026, m, 15), campus, "防暴演練"] for m in TERM_MONTHS if (m * 3 + i) % 7 != 0]
    rec["gate_duty"] = [[date(2026, m, 5 + i % 3), campus, "早", (m + i) % 5 != 0] for m in TERM_MONTHS]
    rec["hazards"] = [
        ["H1", date(2026, 3, 3), "圍墻裂縫", "設施", "張主任", date(2026, 4, 3), date(2026, 3, 25)],
        ["H2", date(2026, 4, 10), "滅火器過期", "消防", "李幹事", date(2026, 5, 10),
         date(2026, 5, 20) if i % 2 else date(2026, 5, 8)],
        ["H3", date(2026, 6, 2), "樓梯扶手鬆動", "設施", "待定" if i % 4 == 2 else "張主任", date(2026, 7, 1),
         None if i % 3 == 0 else date(2026, 6, 28)],
        ["H4", date(2026, 11, 2), "監控死角", "技防", "王幹事", date(2026, 12, 20), None],
    ]
    funds = [[date(2026, 3, 15), "隱患整治", 12800.5], [date(2026, 4, 20), "安全宣傳", 1500]]
    if i % 3 != 2:
        funds.append([date(2026, 6, 1), "應急救援", 3200])
    if i % 4 != 3:
        funds.append([date(2026, 10, 9), "表彰獎勵", 2000])
    if i == 9:  # refused everywhere: not one of the four uses
        funds.append([date(2026, 7, 1), "辦公用品", 800])
    rec["funds"] = funds
    return rec


INSPECTIONS = [
    # date, school_code, kind, finding, deduction, falsification, major_incident, indicator, assessed_points
    [date(2026, 5, 12), "1410200201", "定期", "消防通道堵塞", 2, False, False, None, None],
    [date(2026, 10, 15), "1410200301", "考評", "演練記錄抽查", None, False, False, "D1", 6.5],
    [date(2026, 9, 20), "1410200502", "不定期", "演練簽到表代簽", None, True, False, None, None],
    [date(2026, 6, 18), "1410200602", "不定期", "食堂燃氣隱患", 1.5, False, False, None, None],
    [date(2026, 6, 19), "1410200203", "考評", "演練評定", None, False, False, "D1", 9],  # refused: above D1's 8
    [date(2026, 11, 3), "1410200701", "考評", "安全講座", None, False, False, "C4", 2],
]


def county() -> tuple[list[School], dict[str, list[list]]]:
    """(schools with their records, the bureau's records), in the contract's Traditional spelling."""
    schools = []
    for i, (code, name, kind, town, boarding, campuses) in enumerate(SCHOOLS):
        s = School(code, name, kind, town, boarding, campuses, submits=bool(campuses))
        if s.submits:
            s.records = _school_records(i, s)
        schools.append(s)
    bureau = {"registry": [[s.code, s.name, s.type, s.township] for s in schools],
              "inspections": [list(r) for r in INSPECTIONS]}
    return schools, bureau


# ---------------------------------------------------------------- laying the facts out

@dataclass
class Book:
    sheets: dict[str, list[list]]
    hidden: set[str] = field(default_factory=set)


def _yes(v) -> str | None:
    return None if v is None else ("是" if v else "否")


def _cells(key: str, row: list, value_text, yes) -> list:
    out = []
    for col, v in zip(contract.SHEETS[key].columns, row, strict=True):
        if v is None:
            out.append(None)
        elif col.kind == contract.BOOL:
            out.append(yes(v))
        elif isinstance(v, str) and col.key != "school_code":
            out.append(value_text(v))
        else:
            out.append(v)
    return out


def plain_book(keys: list[str], records: dict[str, list[list]], form: str) -> Book:
    """The template's layout, one header row over the records, in `form` ("trad", "simp" or "en")."""
    text = simp if form == "simp" else (lambda v: v)
    sheets = {}
    for key in keys:
        sheet = contract.SHEETS[key]
        name = {"trad": sheet.zh, "simp": SIMP_SHEETS[key], "en": key}[form]
        header = {"trad": [c.zh for c in sheet.columns], "simp": SIMP_HEADERS[key],
                  "en": [c.key for c in sheet.columns]}[form]
        sheets[name] = [header] + [_cells(key, r, text, _yes) for r in records.get(key, [])]
    return Book(sheets)


# The mixed county: each sheet's header in a script of its own, each cell in one of the forms people use.
_YES_FORMS = ["是", "Y", "✓", "true", "1", "是 ", "y", "TRUE", "√"]
_NO_FORMS = ["否", "N", "✗", "false", "0", "否 ", "n", "FALSE", "×"]
_FULL = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


def _date_form(d: date, n: int):
    return [d, d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}.{d.month}.{d.day}",
            f"{d.year}年{d.month}月{d.day}日"][n % 5]


def _number_form(v, n: int):
    if isinstance(v, float) and not v.is_integer():
        text = f"{v:,.2f}"
    else:
        text = f"{int(v):,}"
    return [v, text, text.translate(_FULL), f" {text} ", str(v)][n % 5]


def _header_form(key: str, k: int) -> list[str]:
    sheet = contract.SHEETS[key]
    return [[c.zh for c in sheet.columns], SIMP_HEADERS[key], [c.key for c in sheet.columns],
            [f"{c.zh} {c.label_en}" for c in sheet.columns], [c.key.upper() for c in sheet.columns]][k % 5]


def _sheet_name_form(key: str, k: int) -> str:
    sheet = contract.SHEETS[key]
    return [sheet.zh, SIMP_SHEETS[key], key, f" {sheet.zh} ", key.upper()][k % 5]


def mixed_book(keys: list[str], records: dict[str, list[list]], seed: int, extras: bool = True) -> Book:
    """The records as offices lay them out: see the module docstring."""
    sheets: dict[str, list[list]] = {}
    n = seed
    for k, key in enumerate(keys):
        sheet = contract.SHEETS[key]
        rows: list[list] = []
        if extras and (k + seed) % 2 == 0:
            rows.append([f"{sheet.zh}登記表（2026年）"])
        rows.append(_header_form(key, k + seed))
        for r, row in enumerate(records.get(key, [])):
            cells = []
            for col, v in zip(sheet.columns, row, strict=True):
                n += 1
                if v is None:
                    cells.append(None)
                elif col.kind == contract.BOOL:
                    cells.append((_YES_FORMS if v else _NO_FORMS)[n % len(_YES_FORMS)])
                elif col.kind == contract.DATE:
                    cells.append(_date_form(v, n))
                elif col.kind in (contract.INT, contract.MONEY, contract.SCORE) and col.key != "year":
                    cells.append(_number_form(v, n))
                elif col.key == "school_code":
                    cells.append(v.translate(_FULL) if n % 2 else v + " ")
                elif isinstance(v, str):
                    cells.append([v, v + " ", simp(v), " " + v][n % 4])
                else:
                    cells.append(v)
            rows.append(cells)
            if extras and r % 4 == 3:
                rows.append([])
        if extras and key not in ("school", "registry") and (k + seed) % 3 == 0:
            rows.append([])
            rows.append(["注：本表由學校安全辦填寫，每月更新。"])
        sheets[_sheet_name_form(key, k + seed)] = rows
    book = Book(sheets)
    if extras:
        sheets["舊表備份"] = [["說明"], ["2025年的舊表，已作廢"]]
        book.hidden.add("舊表備份")
    return book


SCHOOL_KEYS = [s.key for s in contract.SCHOOL_SHEETS]
BUREAU_KEYS = ["registry", "inspections"]


def books(form: str) -> dict[str, Book]:
    """{file stem: Book} of the whole county in `form` (the bureau's workbook is "bureau")."""
    schools, bureau = county()
    out = {}
    for i, s in enumerate(schools):
        if not s.submits:
            continue
        if form == "mixed":
            out[s.code] = mixed_book(SCHOOL_KEYS, s.records, seed=i)
        else:
            out[s.code] = plain_book(SCHOOL_KEYS, s.records, form)
    out["bureau"] = (mixed_book(BUREAU_KEYS, bureau, seed=3) if form == "mixed"
                     else plain_book(BUREAU_KEYS, bureau, form))
    return out


def write_book(path: Path, book: Book, writer: str = "openpyxl") -> Path:
    """An .xlsx of `book`, by openpyxl (dates with a date format) or xlsxwriter."""
    if writer == "xlsxwriter":
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(path))
        fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        for name, rows in book.sheets.items():
            ws = wb.add_worksheet(name)
            for r, row in enumerate(rows):
                for c, v in enumerate(row):
                    if v is None:
                        continue
                    if isinstance(v, date):
                        ws.write_datetime(r, c, v, fmt)
                    elif isinstance(v, bool):
                        ws.write_boolean(r, c, v)
                    elif isinstance(v, (int, float)):
                        ws.write_number(r, c, v)
                    else:
                        ws.write_string(r, c, v)
            if name in book.hidden:
                ws.hide()
        wb.close()
        return path
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in book.sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is None:
                    continue
                cell = ws.cell(r, c, v)
                if isinstance(v, date):
                    cell.number_format = "yyyy-mm-dd"
        if name in book.hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def write_as(fmt: str, stem: Path, book: Book) -> Path:
    """`book` as .xlsx (openpyxl), .xlsxw (an .xlsx by xlsxwriter), .xls (xlwt) or .ods (odfpy)."""
    from tests.sync_helpers import write_ods, write_xls

    if fmt == "xlsxw":
        return write_book(stem.with_suffix(".xlsx"), book, "xlsxwriter")
    if fmt == "xls":
        shown = {n: r for n, r in book.sheets.items() if n not in book.hidden}
        return write_xls(stem.with_suffix(".xls"), shown, hidden={n: book.sheets[n] for n in book.hidden})
    if fmt == "ods":
        return write_ods(stem.with_suffix(".ods"), {n: r or [[]] for n, r in book.sheets.items()})
    return write_book(stem.with_suffix(".xlsx"), book)
