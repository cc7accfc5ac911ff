"""The demo county: a deterministic generator of a believable county's records.

`county_frames(schools, seed, today)` returns the county's records in exactly
the shape `sync.frames.load_frames` gives (one DataFrame per sheet key,
English columns, school_code on every frame, dates datetime64, booleans
nullable boolean, counts Int64).  Everything is drawn from one seeded numpy
generator over whole tables at once, so 10,000 schools take seconds.

`write_demo(inbox, schools, seed, today)` writes those records as the bureau
workbook and one filled template per school, with the mistakes people really
make in a handful of them, and returns a `DemoSummary` that lists every
mistake so people know what to look for.

The county is realistic, not uniform: each school has a diligence level that
drives how complete its records are, so totals spread from 優秀 to 不合格.
Years covered: the two before `today`'s year and the running one, records
only up to `today`.  Term dates follow the default county calendar (spring
02-20..07-10, autumn 09-01..01-20 of the next year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from sync import contract
from sync.errors import UserError
from sync.settings import county_today
from sync.sheet_frames import empty_frame
from sync.template import EXCEL_EPOCH

MAX_SCHOOLS = 20_000
SCHOOL_CODE_PREFIX = "14102"  # a 10-digit county school code: 5-digit county prefix + 5-digit number
BUREAU_FILE = Path("bureau") / "教體局督查與名冊.xlsx"
SCHOOLS_DIR = Path("schools")
UPLOADS_DIR = Path("uploads")  # sync.load.UPLOADS
BUREAU_SOURCE_ID = 1

TOWNSHIPS = ("城關鎮", "東河鄉", "西山鎮", "南關鎮", "北塬鄉", "河口鎮", "柳林鄉", "石橋鎮", "龍泉鎮", "白水鄉")
TOWNSHIP_WEIGHTS = np.array([0.22] + [0.78 / 9] * 9)
# Believable shares of the seven school types in a rural county.
TYPE_SHARES = {"幼兒園": 0.30, "小學": 0.37, "初中": 0.12, "九年一貫制": 0.08, "高中": 0.05, "完全中學": 0.04, "中職": 0.04}
# Students per school by type (low, high).
STUDENT_RANGE = {
    "幼兒園": (75, 420), "小學": (120, 2600), "初中": (260, 2400), "九年一貫制": (200, 2000),
    "高中": (900, 3000), "完全中學": (700, 2900), "中職": (500, 2700),
}
STUDENTS_PER_STAFF = {"幼兒園": 8.0, "小學": 15.0, "初中": 12.0, "九年一貫制": 13.0, "高中": 11.0, "完全中學": 11.5, "中職": 13.0}
BOARDING_SHARE = {"幼兒園": 0.0, "小學": 0.12, "初中": 0.55, "九年一貫制": 0.5, "高中": 0.9, "完全中學": 0.85, "中職": 0.8}
CLASS_SIZE = {"幼兒園": 30, "小學": 45, "初中": 50, "九年一貫制": 45, "高中": 55, "完全中學": 52, "中職": 45}
CAMPUS_NAMES = ("本部", "東校區", "西校區")
# A county of this many schools or more spans the range the foundation issue asks of the demo: one to
# three campuses, 80 to 3,500 people.  With 75 students a school has 6 to 9 staff (81 to 84 people);
# with 3,100, 206 to 388 (3,306 to 3,488).
EXTREMES_FROM = 10
SMALLEST_STUDENTS, LARGEST_STUDENTS = 75, 3100

SURNAMES = tuple(
    "張王李劉陳楊趙黃周吳徐孫馬朱胡郭何高林羅鄭梁謝宋唐許韓馮鄧曹彭曾蕭田董潘袁蔡蔣余杜葉程魏蘇呂丁任盧姚沈鍾姜崔譚陸范汪廖石金韋賈夏付方鄒熊白孟秦邱侯江尹薛段雷龍黎史陶賀毛郝顧龔邵萬武錢戴嚴莫孔向常湯"
)
GIVEN = (
    "建國", "偉", "芳", "秀英", "敏", "靜", "麗", "強", "磊", "軍", "洋", "勇", "艷", "傑", "娟", "濤", "明", "超",
    "秀蘭", "霞", "平", "剛", "桂英", "建華", "志強", "永紅", "海燕", "國慶", "紅梅", "曉東", "春生", "玉蘭", "德明",
    "文斌", "新民", "立新", "保國", "金鳳", "雪梅", "振華", "俊", "鵬", "斌", "輝", "玲", "丹", "鑫", "浩", "宇", "欣",
)
VILLAGE_SUFFIXES = ("莊", "村", "灣", "窪", "溝", "營", "寨", "堡", "橋", "河", "坪", "崗")

DRILL_KINDS = ("地震應急疏散演練", "消防安全疏散演練", "防踩踏應急演練", "防暴恐應急演練", "防溺水應急演練")
EVALUATIONS = ("優秀", "良好", "合格", "達到預期效果")
CLASS_TOPICS = (
    "食品安全", "防踩踏", "預防校園欺凌", "安全用電", "地震避險", "網絡安全", "心理健康與安全",
    "防詐騙", "防性侵自我保護", "實驗室安全", "傳染病預防", "課間活動安全",
)
# Seasonal themes (rules.md C5): name, months of its window, topics that mention it.
THEMES = (
    ("防溺水", (5, 6, 7), ("防溺水安全教育", "暑期防溺水專題教育")),
    ("防火", (11, 12, 1), ("冬季防火安全教育", "防火與消防器材使用")),
    ("交通安全", (9, 10), ("交通安全教育", "上下學交通安全")),
)
GUARD_COMPANIES = ("縣保安服務有限公司", "平安保安服務有限公司", "安達保安有限公司")
GUARD_DRILL_CONTENT = ("防暴恐處置演練", "消防器材使用演練", "校門口突發事件處置", "鋼叉盾牌使用訓練")
GATE_SLOTS = ("早高峰 7:20-8:00", "晚高峰 17:00-17:40")
HAZARDS = (
    ("教學樓消防栓水壓不足", "消防"), ("宿舍樓疏散指示燈損壞", "消防"), ("滅火器過期未更換", "消防"),
    ("配電室門鎖損壞", "用電"), ("教室插座老化", "用電"), ("圍牆局部開裂", "建築"), ("操場護欄鬆動", "設施設備"),
    ("食堂燃氣管道老化", "食品衛生"), ("校門口減速帶缺失", "交通"), ("監控攝像頭故障三路", "技防"),
    ("樓梯扶手鬆動", "設施設備"), ("實驗室危化品台賬不全", "危化品"),
)
INSPECTION_FINDINGS = (
    ("安全辦公室檔案不全", 1.0), ("演練記錄缺少評定結果", 0.5), ("保安員器械配備不齊", 1.0),
    ("隱患整改超期未銷號", 2.0), ("護學崗記錄不連續", 0.5), ("安全教育課課時不足", 1.0), ("", 0.0),
)
# Indicators assessors may set by hand, with their default maximum points (rules.md).
ASSESSED = (("C1", 2.0), ("D2", 2.0), ("B1", 3.0))
CHECKLIST_NOTES = {"獨立安全辦公室": "辦公樓一層", "醒目標牌": "已懸掛", "安全制度上墻": "已上墻", "專用檔案柜": "已配備", "視頻監控系統": "已安裝"}


# ---------------------------------------------------------------- calendar


def _semesters(first_year: int, last_year: int) -> list[tuple[np.datetime64, np.datetime64]]:
    """Default county semesters that touch the years (autumn of the year before covers January)."""
    out = []
    for y in range(first_year - 1, last_year + 1):
        out.append((np.datetime64(f"{y}-02-20"), np.datetime64(f"{y}-07-10")))
        out.append((np.datetime64(f"{y}-09-01"), np.datetime64(f"{y + 1}-01-20")))
    return out


@dataclass
class Periods:
    """Periods of one kind (term weeks, term months, ...) with the school days a record may fall on."""

    days: np.ndarray  # (periods, max candidates) datetime64[D], padded
    counts: np.ndarray  # candidates per period
    labels: np.ndarray  # e.g. the period's month number, for exam-month rules

    def __len__(self) -> int:
        return len(self.counts)

    def pick(self, rng: np.random.Generator, period: np.ndarray) -> np.ndarray:
        """One random candidate day inside each given period."""
        idx = (rng.random(len(period)) * self.counts[period]).astype(np.int64)
        return self.days[period, idx]


class Calendar:
    """School days of the covered years up to today, grouped into the periods the rules count."""

    def __init__(self, first_year: int, today: date):
        self.first_year, self.last_year, self.today = first_year, today.year, np.datetime64(today, "D")
        days = np.arange(np.datetime64(f"{first_year}-01-01"), self.today + 1, dtype="datetime64[D]")
        in_semester = np.zeros(len(days), bool)
        semester_no = np.full(len(days), -1)
        for n, (start, end) in enumerate(_semesters(first_year, today.year)):
            inside = (days >= start) & (days <= end)
            in_semester |= inside
            semester_no[inside] = n
        weekday = (days.view("int64") - 4) % 7  # 0 = Monday (1970-01-01 was a Thursday)
        self.days, self.in_semester, self.semester_no = days, in_semester, semester_no
        self.school_day = in_semester & (weekday < 5)
        stamps = pd.DatetimeIndex(days)
        self.month_key = (stamps.year * 100 + stamps.month).to_numpy()
        iso = stamps.isocalendar()
        self.week_key = (iso["year"].to_numpy().astype(np.int64) * 100 + iso["week"].to_numpy().astype(np.int64))
        self.quarter_key = (stamps.year * 10 + stamps.quarter).to_numpy()
        self.month = stamps.month.to_numpy()
        self.year = stamps.year.to_numpy()

    def _group(self, key: np.ndarray, select: np.ndarray, label: np.ndarray) -> Periods:
        keys = np.unique(key[select])
        rows = [self.days[select & (key == k)] for k in keys]
        return _periods(rows, np.array([label[select & (key == k)][0] for k in keys]) if len(keys) else np.array([]))

    def term_months(self) -> Periods:
        """Months with at least 14 semester days (rules.md), as (year*100+month) labels."""
        counts = pd.Series(self.in_semester).groupby(self.month_key).sum()
        months = counts[counts >= 14].index
        select = self.school_day & np.isin(self.month_key, months)
        return self._group(self.month_key, select, self.month_key)

    def term_weeks(self) -> Periods:
        """ISO weeks with at least 3 weekdays inside a semester."""
        counts = pd.Series(self.school_day).groupby(self.week_key).sum()
        weeks = counts[counts >= 3].index
        select = self.school_day & np.isin(self.week_key, weeks)
        return self._group(self.week_key, select, self.month_key)

    def quarters(self) -> Periods:
        """Calendar quarters that overlap a semester (kindergarten drills)."""
        return self._group(self.quarter_key, self.school_day, self.quarter_key)

    def semesters(self) -> Periods:
        """Semesters started inside the covered years, school days up to today; label = semester number."""
        first_spring = 2  # semesters 0 and 1 belong to the year before the first
        select = self.school_day & (self.semester_no >= first_spring)
        return self._group(self.semester_no, select, self.semester_no)

    def windows(self) -> tuple[Periods, np.ndarray]:
        """Each seasonal theme's window in each year: school days in its months; returns periods and theme ids."""
        rows, theme_ids, labels = [], [], []
        for year in range(self.first_year, self.last_year + 1):
            for t, (_, months, _) in enumerate(THEMES):
                sel = self.school_day & (self.year == year) & np.isin(self.month, months)
                if sel.any():
                    rows.append(self.days[sel])
                    theme_ids.append(t)
                    labels.append(year)
        return _periods(rows, np.array(labels)), np.array(theme_ids, dtype=np.int64)

    def years(self) -> Periods:
        """Each covered year's days up to today (any day: found hazards, funds spent, inspections)."""
        years = range(self.first_year, self.last_year + 1)
        rows = {y: self.days[(self.year == y) & ((self.days.view("int64") - 4) % 7 < 5)] for y in years}
        rows = {y: r for y, r in rows.items() if len(r)}  # 1 January on a weekend: nothing yet this year
        return _periods(list(rows.values()), np.array(list(rows), dtype=np.int64))


def _periods(rows: list[np.ndarray], labels: np.ndarray) -> Periods:
    """Pad each period's candidate days into one 2-D array so a day can be drawn for many records at once."""
    width = max((len(r) for r in rows), default=1)
    days = np.full((len(rows), max(width, 1)), np.datetime64("NaT"), dtype="datetime64[D]")
    for i, r in enumerate(rows):
        days[i, : len(r)] = r
    return Periods(days, np.array([len(r) for r in rows], dtype=np.int64), labels)


# ---------------------------------------------------------------- the schools


@dataclass
class County:
    """School-level and campus-level facts everything else is drawn from."""

    codes: np.ndarray
    names: np.ndarray
    types: np.ndarray
    townships: np.ndarray
    boarding: np.ndarray
    diligence: np.ndarray
    exam_skipper: np.ndarray  # skips drills in exam months (Jan, Jun, Jul)
    submitted: np.ndarray  # False for the registered school that never sent a workbook
    campus_school: np.ndarray
    campus_names: np.ndarray
    campus_students: np.ndarray
    campus_staff: np.ndarray
    campus_boarders: np.ndarray

    @property
    def size(self) -> int:
        return len(self.codes)

    def students(self) -> np.ndarray:
        return np.bincount(self.campus_school, self.campus_students, minlength=self.size).astype(np.int64)

    def staff(self) -> np.ndarray:
        return np.bincount(self.campus_school, self.campus_staff, minlength=self.size).astype(np.int64)


_ZH_DIGITS = "零一二三四五六七八九"


def zh_number(n: int) -> str:
    """1 -> 一, 12 -> 十二, 25 -> 二十五 (school names); from 100 on, Arabic digits."""
    if n < 10:
        return _ZH_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _ZH_DIGITS[tens]) + "十" + (_ZH_DIGITS[ones] if ones else "")
    return str(n)


def _villages() -> list[str]:
    return [s + v for v in VILLAGE_SUFFIXES for s in SURNAMES[:20]]


def _school_name(kind: str, town: str, k: int, county_k: int, villages: list[str]) -> str:
    """The k-th school of a type in a township (county_k: its number among the county's of that type)."""
    village = villages[(k - 1) % len(villages)] + ("" if k - 1 < len(villages) else zh_number((k - 1) // len(villages) + 1))
    if kind == "高中":
        return f"縣第{zh_number(county_k + 1)}高級中學"
    if kind == "中職":
        fixed = ("縣職業技術學校", "縣職業中等專業學校")
        return fixed[county_k] if county_k < len(fixed) else f"縣第{zh_number(county_k - 1)}職業中學"
    if kind == "完全中學":
        if county_k == 0 and town == TOWNSHIPS[0]:
            return "縣實驗中學"
        return f"{town}中學" if k == 0 else f"{town}第{zh_number(k + 1)}中學"
    if kind == "初中":
        return f"{town}初級中學" if k == 0 else f"{town}第{zh_number(k + 1)}初級中學"
    if kind == "小學":
        if town == TOWNSHIPS[0]:
            return f"{town}第{zh_number(k + 1)}小學"
        return f"{town}中心小學" if k == 0 else f"{town}{village}小學"
    if kind == "幼兒園":
        return f"{town}中心幼兒園" if k == 0 else f"{town}{village}幼兒園"
    return f"{town}九年一貫制學校" if k == 0 else f"{town}{village}九年一貫制學校"


def _names(types: np.ndarray, townships: np.ndarray) -> np.ndarray:
    villages = _villages()
    per_town: dict[tuple[str, str], int] = {}
    per_county: dict[str, int] = {}
    names, seen = [], set()
    for kind, town in zip(types.tolist(), townships.tolist(), strict=True):
        k = per_town.get((kind, town), 0)
        ck = per_county.get(kind, 0)
        per_town[(kind, town)], per_county[kind] = k + 1, ck + 1
        name = _school_name(kind, town, k, ck, villages)
        while name in seen:  # two naming patterns met; a person would add the township
            name = f"{town}{name}" if not name.startswith(town) else f"{name}（二）"
        seen.add(name)
        names.append(name)
    return np.array(names, dtype=object)


def _diligence(rng: np.random.Generator, n: int) -> np.ndarray:
    """Most schools keep their records fairly well, some very well, a few badly."""
    band = rng.choice(4, size=n, p=[0.13, 0.48, 0.33, 0.06])
    low = np.array([0.92, 0.7, 0.5, 0.15])[band]
    high = np.array([1.00, 0.9, 0.7, 0.40])[band]
    return low + rng.random(n) * (high - low)


def _types(rng: np.random.Generator, n: int) -> np.ndarray:
    kinds = np.array(list(TYPE_SHARES), dtype=object)
    types = rng.choice(kinds, size=n, p=np.array(list(TYPE_SHARES.values())))
    missing = [k for k in kinds if k not in set(types.tolist())]
    if missing and n >= len(kinds):
        # Every type appears even in a small county: overwrite the most common type's last entries.
        common = pd.Series(types).value_counts().index.tolist()
        spots = [i for i in range(n - 1, -1, -1) if types[i] == common[0]][: len(missing)]
        types[spots] = missing
    return types


def make_county(rng: np.random.Generator, n: int) -> County:
    types = _types(rng, n)
    towns = rng.choice(np.array(TOWNSHIPS, dtype=object), size=n, p=TOWNSHIP_WEIGHTS)
    county_level = np.isin(types, ["高中", "中職", "完全中學"]) & (rng.random(n) < 0.8)
    towns[county_level] = TOWNSHIPS[0]
    order = np.lexsort((np.argsort(rng.random(n)), towns))  # schools numbered township by township
    types, towns = types[order], towns[order]
    codes = np.array([f"{SCHOOL_CODE_PREFIX}{i + 1:05d}" for i in range(n)], dtype=object)
    names = _names(types, towns)

    low = np.array([STUDENT_RANGE[t][0] for t in types])
    high = np.array([STUDENT_RANGE[t][1] for t in types])
    # Skewed: most schools are small, a few large.
    students = (low + (high - low) * rng.beta(1.4, 2.6, n)).astype(np.int64)
    extremes: tuple[int, ...] = ()
    if n >= EXTREMES_FROM:
        # The plan's whole range in every county of some size, whatever the seed: the smallest school (a
        # kindergarten where there is one) 80-odd people, the largest (a senior school where there is one)
        # some 3,400 students and staff on three campuses.
        smallest = _pick(students, types == contract.KINDERGARTEN, np.argmin)
        largest = _pick(students, np.isin(types, contract.HIGH_SCHOOL_TYPES), np.argmax)
        students[smallest], students[largest] = SMALLEST_STUDENTS, LARGEST_STUDENTS
        extremes = (smallest, largest)
    staff = np.maximum(6, np.round(students / np.array([STUDENTS_PER_STAFF[t] for t in types]))).astype(np.int64)
    boarding = rng.random(n) < np.array([BOARDING_SHARE[t] for t in types])

    campuses = 1 + (rng.random(n) < np.clip((students - 600) / 2500, 0.03, 0.6)).astype(np.int64)
    campuses += (campuses == 2) & (rng.random(n) < np.clip((students - 1500) / 3000, 0.0, 0.5))
    if extremes:
        campuses[extremes[1]] = 3
    campus_school = np.repeat(np.arange(n), campuses)
    campus_no = np.arange(len(campus_school)) - np.repeat(np.cumsum(campuses) - campuses, campuses)
    share = np.where(campus_no == 0, 1.0, 0.35 + rng.random(len(campus_school)) * 0.4)
    share = share / np.bincount(campus_school, share)[campus_school]
    c_students = _split(students, campus_school, share)
    c_staff = _split(staff, campus_school, share)
    boarder_share = np.where(boarding[campus_school], 0.25 + rng.random(len(campus_school)) * 0.55, 0.0)
    c_boarders = np.round(c_students * boarder_share).astype(np.int64)

    diligence = _diligence(rng, n)
    exam_skipper = rng.random(n) < 0.08 + 0.3 * (1 - diligence)
    submitted = np.ones(n, bool)
    if n >= 2:
        absent = int(rng.integers(1, n))
        while absent in extremes:  # the county's smallest and largest schools are seen, not missing
            absent = absent % (n - 1) + 1
        submitted[absent] = False
    return County(
        codes, names, types, towns, boarding, diligence, exam_skipper, submitted,
        campus_school, np.array(CAMPUS_NAMES, dtype=object)[campus_no], c_students, c_staff, c_boarders,
    )


def _pick(values: np.ndarray, preferred: np.ndarray, arg) -> int:
    """arg (np.argmin or np.argmax) of values among the preferred entries, or among all when none is."""
    among = np.flatnonzero(preferred) if preferred.any() else np.arange(len(values))
    return int(among[arg(values[among])])


def _split(total: np.ndarray, owner: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Split each school's total over its campuses by share, keeping the exact sum."""
    parts = np.floor(total[owner] * share).astype(np.int64)
    short = total - np.bincount(owner, parts, minlength=len(total)).astype(np.int64)
    first = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
    parts[first] += short
    return parts


# ---------------------------------------------------------------- records


def _people_names(rng: np.random.Generator, owner: np.ndarray) -> np.ndarray:
    """Chinese personal names, unique inside each school (owner = school index per person)."""
    n = len(owner)
    surnames = np.array(SURNAMES, dtype=object)
    given = np.array(GIVEN, dtype=object)
    names = surnames[rng.integers(0, len(surnames), n)] + given[rng.integers(0, len(given), n)]
    for _ in range(20):
        dup = pd.DataFrame({"o": owner, "n": names}).duplicated().to_numpy()
        if not dup.any():
            break
        names[dup] = surnames[rng.integers(0, len(surnames), dup.sum())] + given[rng.integers(0, len(given), dup.sum())]
    return names


# The order a school keeps each sheet in (besides school): its date, mostly.
SHEET_ORDER = {
    "drills": "date", "education": "date", "guard_training": "start_date", "guard_drills": "date",
    "gate_duty": "date", "hazards": "found_date", "funds": "date", "agreements": "year",
}


def _frame(key: str, school: np.ndarray, columns: dict, county: County) -> pd.DataFrame:
    """A sheet's records in load_frames' shape, sorted by school (then date), rows numbered per school."""
    base = empty_frame(key)
    data = {"school_code": county.codes[school], **columns}
    frame = pd.DataFrame({"_school": school, **data})
    order_cols = ["_school"] + ([SHEET_ORDER[key]] if key in SHEET_ORDER else [])
    frame = frame.sort_values(order_cols, kind="stable").reset_index(drop=True)
    frame.insert(0, "row_no", frame.groupby("_school").cumcount().to_numpy() + 2)
    frame.insert(0, "source_id", frame["_school"].to_numpy() + BUREAU_SOURCE_ID + 1)
    frame = frame.drop(columns="_school")
    return _like(frame, base)


def _like(frame: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in base.columns:
        if col in ("source_id", "row_no"):
            out[col] = frame[col].astype("int64")
            continue
        values = frame[col] if col in frame else pd.Series([None] * len(frame))
        dtype = base[col].dtype
        if dtype is np.dtype(object):
            arr = values.to_numpy(dtype=object)
            out[col] = pd.Series(arr, dtype=object)
        elif str(dtype).startswith("datetime64"):
            out[col] = pd.Series(np.asarray(values, dtype="datetime64[D]").astype("datetime64[ns]"))
        else:
            out[col] = pd.Series(values.to_numpy(), dtype=dtype)
    return pd.DataFrame(out)


def _chance(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    return rng.random(len(p)) < p


def _cross(schools: np.ndarray, periods: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (school, period) pair."""
    return np.repeat(schools, periods), np.tile(np.arange(periods), len(schools))


def _school_rows(county: County) -> tuple[np.ndarray, dict]:
    s = np.flatnonzero(county.submitted)
    return s, {
        "name": county.names[s], "type": county.types[s], "township": county.townships[s],
        "boarding": county.boarding[s],
    }


def _campus_rows(rng, county: County) -> tuple[np.ndarray, dict]:
    keep = county.submitted[county.campus_school]
    d = county.diligence[county.campus_school]
    room = _chance(rng, 0.55 + 0.45 * d)
    alarm = room & _chance(rng, 0.6 + 0.4 * d)
    boarders = county.campus_boarders.astype(object)
    boarders[~county.boarding[county.campus_school]] = None
    return county.campus_school[keep], {
        "campus": county.campus_names[keep], "students": county.campus_students[keep],
        "staff": county.campus_staff[keep], "boarders": pd.array(list(boarders[keep]), dtype="Int64"),
        "security_room": room[keep], "alarm": alarm[keep],
    }


def _checklist_rows(rng, county: County, first_year: int) -> tuple[np.ndarray, dict]:
    items = np.array(contract.CHECKLIST_ITEMS, dtype=object)
    school, item = _cross(np.flatnonzero(county.submitted), len(items))
    slack = 1 - county.diligence[school]
    present = _chance(rng, 1 - 0.35 * slack)
    school, item, slack = school[present], item[present], slack[present]
    done = _chance(rng, 1 - 0.75 * slack)
    year = first_year + (rng.random(len(school)) < 0.3).astype(np.int64)
    doc_no = rng.integers(1, 40, len(school))
    names = items[item]
    reference = np.array(
        [CHECKLIST_NOTES.get(nm, f"校安〔{y}〕{k}號") for nm, y, k in zip(names, year, doc_no, strict=True)], dtype=object
    )
    reference[~done] = None
    day = np.array([np.datetime64(f"{y}-03-01") for y in (first_year, first_year + 1)])[year - first_year]
    day = day + rng.integers(0, 60, len(school)).astype("timedelta64[D]")
    dates = np.where(done, day, np.datetime64("NaT"))
    return school, {"item": names, "done": done, "reference": reference, "date": dates}


def _agreement_rows(rng, county: County, years: list[int]) -> tuple[np.ndarray, dict]:
    school, y = _cross(np.flatnonzero(county.submitted), len(years))
    slack = 1 - county.diligence[school]
    keep = _chance(rng, 1 - 0.4 * slack)
    school, y, slack = school[keep], y[keep], slack[keep]
    total = county.staff()[school] + rng.integers(-3, 4, len(school))
    total = np.maximum(total, 4)
    missing = np.where(_chance(rng, 1 - 1.2 * slack), 0, np.ceil(total * rng.random(len(school)) * 0.3))
    return school, {"year": np.array(years)[y], "staff_total": total, "signed": (total - missing).astype(np.int64)}


def _office_rows(rng, county: County, first_year: int) -> tuple[np.ndarray, dict]:
    schools = np.flatnonzero(county.submitted)
    d = county.diligence[schools]
    required = np.where(county.students()[schools] >= 1000, 3, 2)
    director = _chance(rng, 1 - 0.45 * (1 - d) ** 1.5)
    workers = required - 1 - _chance(rng, 0.7 * (1 - d)).astype(np.int64)
    former = _chance(rng, 0.2 * np.ones(len(schools)))  # someone who left, replaced by a current worker
    per_school = director.astype(np.int64) + workers + former
    school = np.repeat(schools, per_school)
    slot = np.arange(len(school)) - np.repeat(np.cumsum(per_school) - per_school, per_school)
    has_director = np.repeat(director, per_school)
    role = np.where(has_director & (slot == 0), "主任", "工作人員").astype(object)
    is_former = np.repeat(former, per_school) & (slot == per_school.repeat(per_school) - 1)
    start = np.datetime64(f"{first_year - 4}-09-01") + rng.integers(0, 4 * 365, len(school)).astype("timedelta64[D]")
    end = np.where(is_former, np.datetime64(f"{first_year}-07-10") + rng.integers(0, 300, len(school)).astype(
        "timedelta64[D]"), np.datetime64("NaT"))
    return school, {"name": _people_names(rng, school), "role": role, "start_date": start, "end_date": end}


def _pick_campus(rng, county: County, school: np.ndarray) -> np.ndarray:
    """A random campus name of each school (records of multi-campus schools name their campus)."""
    counts = np.bincount(county.campus_school, minlength=county.size)
    first = np.cumsum(counts) - counts
    idx = first[school] + (rng.random(len(school)) * counts[school]).astype(np.int64)
    return idx


def _drill_rows(rng, county: County, cal: Calendar) -> tuple[np.ndarray, dict]:
    months, quarters = cal.term_months(), cal.quarters()
    kinder = county.types == contract.KINDERGARTEN
    parts = []
    for periods, which, exam in ((months, ~kinder, True), (quarters, kinder, False)):
        school, period = _cross(np.flatnonzero(county.submitted & which), len(periods))
        d = county.diligence[school]
        p = 0.45 + 0.55 * d
        if exam:
            exam_month = np.isin(periods.labels[period] % 100, (1, 6, 7))
            p = np.where(exam_month & county.exam_skipper[school], 0.0, p)
        held = _chance(rng, p)
        school, period = school[held], period[held]
        extra = _chance(rng, 0.08 * county.diligence[school])  # a second drill in the same month
        school = np.r_[school, school[extra]]
        period = np.r_[period, period[extra]]
        parts.append((school, periods.pick(rng, period)))
    school = np.concatenate([p[0] for p in parts])
    day = np.concatenate([p[1] for p in parts])
    campus = _pick_campus(rng, county, school)
    d = county.diligence[school]
    size = np.array([CLASS_SIZE[t] for t in county.types[school]])
    classes = np.maximum(1, np.round(county.campus_students[campus] / size)).astype(np.int64)
    signed = np.where(_chance(rng, 1 - 0.55 * (1 - d)), classes, np.maximum(0, classes - rng.integers(1, 4, len(school))))
    evaluation = np.array(EVALUATIONS, dtype=object)[rng.integers(0, len(EVALUATIONS), len(school))]
    evaluation[~_chance(rng, 1 - 0.6 * (1 - d))] = None
    participants = np.round(county.campus_students[campus] * (0.9 + 0.1 * rng.random(len(school)))) + (
        county.campus_staff[campus] // 2)
    one_campus = np.bincount(county.campus_school, minlength=county.size)[school] == 1
    campus_name = county.campus_names[campus].copy()
    campus_name[one_campus & (rng.random(len(school)) < 0.5)] = None  # single-campus schools often leave it blank
    dedup = pd.DataFrame({"s": school, "d": day, "c": campus_name}).duplicated().to_numpy()
    keep = ~dedup
    return school[keep], {
        "date": day[keep], "campus": campus_name[keep],
        "kind": np.array(DRILL_KINDS, dtype=object)[rng.integers(0, len(DRILL_KINDS), len(school))][keep],
        "has_plan": _chance(rng, 1 - 0.5 * (1 - d))[keep], "evaluation": evaluation[keep],
        "classes": classes[keep], "signed_classes": signed[keep], "participants": participants.astype(np.int64)[keep],
    }


def _education_rows(rng, county: County, cal: Calendar) -> tuple[np.ndarray, dict]:
    submitted = np.flatnonzero(county.submitted)
    frames = [
        _safety_classes(rng, county, cal, submitted),
        _parent_meetings(rng, county, cal, submitted),
        _lectures(rng, county, cal, submitted),
        _topic_education(rng, county, cal, submitted),
        _staff_training(rng, county, cal, submitted),
    ]
    school = np.concatenate([f[0] for f in frames])
    columns = {k: np.concatenate([np.asarray(f[1][k], dtype=object if k != "date" else "datetime64[D]")
                                  for f in frames]) for k in frames[0][1]}
    dedup = pd.DataFrame({"s": school, "d": columns["date"], "k": columns["kind"]}).duplicated().to_numpy()
    return school[~dedup], {k: v[~dedup] for k, v in columns.items()}


def _edu(school, day, kind, topic, safety=None, attendees=None, expected=None):
    n = len(school)
    none = np.full(n, None, dtype=object)
    return school, {
        "date": day, "kind": np.full(n, kind, dtype=object), "topic": topic,
        "safety_content": none if safety is None else np.where(safety, True, False).astype(object),
        "attendees": none if attendees is None else attendees.astype(object),
        "expected": none if expected is None else expected.astype(object),
    }


def _safety_classes(rng, county, cal, submitted):
    weeks = cal.term_weeks()
    school, week = _cross(submitted, len(weeks))
    d = county.diligence[school]
    held = _chance(rng, 0.45 + 0.55 * d ** 0.7)
    school, week, d = school[held], week[held], d[held]
    day = weeks.pick(rng, week)
    month = pd.DatetimeIndex(day).month.to_numpy()
    topic = np.array(CLASS_TOPICS, dtype=object)[rng.integers(0, len(CLASS_TOPICS), len(school))]
    themed = rng.random(len(school)) < 0.12 * d
    for _theme, months, topics in THEMES:
        sel = themed & np.isin(month, months)
        topic[sel] = topics[0]
    return _edu(school, day, "安全教育課", topic)


def _parent_meetings(rng, county, cal, submitted):
    sems = cal.semesters()
    school, sem = _cross(submitted, len(sems))
    held = _chance(rng, np.full(len(school), 0.9))
    school, sem = school[held], sem[held]
    d = county.diligence[school]
    topic = np.where(rng.random(len(school)) < 0.5, "期中家長會", "期末家長會").astype(object)
    safety = _chance(rng, 1 - 0.8 * (1 - d))
    return _edu(school, sems.pick(rng, sem), "家長會", topic, safety=safety)


def _lectures(rng, county, cal, submitted):
    sems = cal.semesters()
    high = submitted[np.isin(county.types[submitted], contract.HIGH_SCHOOL_TYPES)]
    school, sem = _cross(high, len(sems))
    d = county.diligence[school]
    count = rng.binomial(3, 0.3 + 0.65 * d)
    school, sem = np.repeat(school, count), np.repeat(sem, count)
    topics = np.array(("法治安全知識講座", "消防安全知識講座", "防溺水安全講座", "交通安全知識講座", "禁毒知識講座"), dtype=object)
    return _edu(school, sems.pick(rng, sem), "安全講座", topics[rng.integers(0, len(topics), len(school))])


def _topic_education(rng, county, cal, submitted):
    windows, theme_ids = cal.windows()
    school, w = _cross(submitted, len(windows))
    held = _chance(rng, 0.3 + 0.7 * county.diligence[school])
    school, w = school[held], w[held]
    topics = np.array([THEMES[t][2][1] for t in theme_ids], dtype=object)[w] if len(w) else np.array([], dtype=object)
    return _edu(school, windows.pick(rng, w), "專題教育", topics)


def _staff_training(rng, county, cal, submitted):
    sems = cal.semesters()
    school, sem = _cross(submitted, len(sems))
    d = county.diligence[school]
    held = _chance(rng, 1 - 0.6 * (1 - d))
    school, sem, d = school[held], sem[held], d[held]
    expected = county.staff()[school]
    absent = np.where(_chance(rng, 1 - 1.2 * (1 - d)), 0, np.ceil(expected * rng.random(len(school)) * 0.25))
    topic = np.array(("全體教職工安全培訓", "一崗雙責安全培訓", "消防安全培訓"), dtype=object)[rng.integers(0, 3, len(school))]
    return _edu(school, sems.pick(rng, sem), "教職工培訓", topic, attendees=(expected - absent).astype(np.int64),
                expected=expected)


def guards_required(people: np.ndarray, boarders: np.ndarray) -> np.ndarray:
    """Guards a campus needs (rules.md E1, default "full" rounding)."""
    base = np.where(people < 500, 2, 4) + np.where(people > 1000, 2 * ((people - 1000) // 500), 0)
    return base + 2 * (boarders // 300)


@dataclass
class Guards:
    school: np.ndarray
    campus: np.ndarray  # campus index
    names: np.ndarray
    start: np.ndarray
    end: np.ndarray


def _guards(rng, county: County, cal: Calendar) -> tuple[Guards, dict]:
    people = county.campus_students + county.campus_staff
    required = guards_required(people, county.campus_boarders)
    d = county.diligence[county.campus_school]
    short = np.where(_chance(rng, 1 - 0.9 * (1 - d)), 0, rng.integers(1, 3, len(d)))
    count = np.maximum(1, required - short)
    count[~county.submitted[county.campus_school]] = 0
    leavers = _chance(rng, np.full(len(count), 0.15)) & (count > 0)
    count = count + leavers  # a guard who left, replaced by one still on duty
    campus = np.repeat(np.arange(len(count)), count)
    school = county.campus_school[campus]
    slot = np.arange(len(campus)) - np.repeat(np.cumsum(count) - count, count)
    first = cal.days[0]
    start = first - rng.integers(30, 8 * 365, len(campus)).astype("timedelta64[D]")
    left = np.repeat(leavers, count) & (slot == np.repeat(count, count) - 1)
    end = np.where(left, first + rng.integers(100, 600, len(campus)).astype("timedelta64[D]"), np.datetime64("NaT"))
    end = np.where(end > cal.today, np.datetime64("NaT"), end)
    dg = county.diligence[school]
    age_years = np.where(_chance(rng, 0.3 * (1 - dg)), rng.integers(56, 61, len(campus)), rng.integers(28, 55, len(campus)))
    birth = cal.today - (age_years * 365.25).astype("timedelta64[D]") - rng.integers(0, 360, len(campus)).astype(
        "timedelta64[D]")
    company = np.array(GUARD_COMPANIES, dtype=object)[rng.integers(0, len(GUARD_COMPANIES), len(campus))]
    company[_chance(rng, 0.25 * (1 - dg))] = None  # hired directly by the school
    kit = {k: _chance(rng, 1 - 0.15 * (1 - dg)) for k in contract.GUARD_KIT}
    guards = Guards(school, campus, _people_names(rng, school), start, end)
    _one_turning_56(rng, guards, birth, cal)
    return guards, {
        "name": guards.names, "campus": county.campus_names[campus], "birth_date": birth, "company": company,
        "start_date": start, "end_date": end, **kit,
    }


def _one_turning_56(rng, guards: Guards, birth: np.ndarray, cal: Calendar) -> None:
    """One guard on duty has his 56th birthday later in the running year: fine today, over on 31 Dec."""
    active = np.flatnonzero(np.isnat(guards.end))
    if not len(active):
        return
    who = active[int(rng.integers(0, len(active)))]
    today = cal.today.astype(object)
    birthday = today + timedelta(days=7)
    if birthday.year != today.year:  # late December: take a birthday earlier in the year instead
        birthday = today - timedelta(days=30)
    birth[who] = np.datetime64(birthday.replace(year=birthday.year - 56))


def _guard_training_rows(rng, county: County, cal: Calendar, guards: Guards) -> tuple[np.ndarray, dict]:
    sems = cal.semesters()
    g, sem = _cross(np.arange(len(guards.school)), len(sems))
    sem_start, sem_end = sems.days[sem, 0], sems.days[sem, np.maximum(sems.counts[sem] - 1, 0)]
    employed = (guards.start[g] <= sem_end) & (np.isnat(guards.end[g]) | (guards.end[g] >= sem_start))
    d = county.diligence[guards.school[g]]
    held = employed & _chance(rng, 1 - 0.7 * (1 - d))
    g, sem, d = g[held], sem[held], d[held]
    days = np.where(_chance(rng, 1 - 0.6 * (1 - d)), 3, 2)
    start = sems.pick(rng, sem)
    end = start + (days - 1).astype("timedelta64[D]")
    keep = end <= cal.today
    off_duty = _chance(rng, 1 - 0.4 * (1 - d))
    g = g[keep]
    return guards.school[g], {
        "name": guards.names[g], "start_date": start[keep], "end_date": end[keep], "off_duty": off_duty[keep],
        "content": np.full(len(g), "保安員崗位技能脫產培訓", dtype=object),
    }


def _guard_drill_rows(rng, county: County, cal: Calendar) -> tuple[np.ndarray, dict]:
    months = cal.term_months()
    school, m = _cross(np.flatnonzero(county.submitted), len(months))
    held = _chance(rng, 0.35 + 0.65 * county.diligence[school])
    school, m = school[held], m[held]
    campus = _pick_campus(rng, county, school)
    content = np.array(GUARD_DRILL_CONTENT, dtype=object)[rng.integers(0, len(GUARD_DRILL_CONTENT), len(school))]
    return school, {"date": months.pick(rng, m), "campus": county.campus_names[campus], "content": content}


def _gate_duty_rows(rng, county: County, cal: Calendar) -> tuple[np.ndarray, dict]:
    months = cal.term_months()
    school, m = _cross(np.flatnonzero(county.submitted), len(months))
    logged = _chance(rng, 1 - 0.6 * (1 - county.diligence[school]))
    school, m = school[logged], m[logged]
    second = _chance(rng, np.full(len(school), 0.6))
    slot = np.r_[np.zeros(len(school), np.int64), np.ones(second.sum(), np.int64)]
    school, m = np.r_[school, school[second]], np.r_[m, m[second]]
    police = _chance(rng, 0.55 + 0.45 * county.diligence[school])
    campus = np.cumsum(np.bincount(county.campus_school, minlength=county.size))[school] - np.bincount(
        county.campus_school, minlength=county.size)[school]  # the main campus gate
    return school, {
        "date": months.pick(rng, m), "campus": county.campus_names[campus],
        "slot": np.array(GATE_SLOTS, dtype=object)[slot], "police": police,
    }


def _hazard_rows(rng, county: County, cal: Calendar) -> tuple[np.ndarray, dict]:
    years = cal.years()
    schools = np.flatnonzero(county.submitted)
    school, y = _cross(schools, len(years))
    count = 1 + rng.poisson(2 + county.students()[school] / 800)
    school, y = np.repeat(school, count), np.repeat(y, count)
    found_day = years.pick(rng, y)
    frame = pd.DataFrame({"s": school, "y": y, "f": found_day}).sort_values(["s", "f"], kind="stable")
    school, y, found_day = frame["s"].to_numpy(), frame["y"].to_numpy(), frame["f"].to_numpy().astype("datetime64[D]")
    seq = frame.groupby(["s", "y"]).cumcount().to_numpy() + 1
    d = county.diligence[school]
    n = len(school)
    which = rng.integers(0, len(HAZARDS), n)
    limit = np.array([7, 15, 30, 60])[rng.integers(0, 4, n)].astype("timedelta64[D]")
    deadline = np.where(_chance(rng, 1 - 0.35 * (1 - d)), found_day + limit, np.datetime64("NaT"))
    outcome = rng.random(n)
    on_time = outcome < 0.5 + 0.45 * d
    late = ~on_time & (outcome < 0.85 + 0.1 * d)
    span = np.where(np.isnat(deadline), limit, deadline - found_day).astype(np.int64)
    closed = np.where(
        on_time, found_day + (rng.random(n) * span).astype(np.int64).astype("timedelta64[D]"),
        np.where(late, found_day + span.astype("timedelta64[D]") + rng.integers(3, 60, n).astype("timedelta64[D]"),
                 np.datetime64("NaT")),
    )
    closed = np.where(closed > cal.today, np.datetime64("NaT"), closed)
    owner = _people_names(rng, school)
    owner[~_chance(rng, 1 - 0.4 * (1 - d))] = None
    ids = np.array([f"{yy}-{k:03d}" for yy, k in zip(years.labels[y], seq, strict=True)], dtype=object)
    return school, {
        "id": ids, "found_date": found_day, "description": np.array([h[0] for h in HAZARDS], dtype=object)[which],
        "category": np.array([h[1] for h in HAZARDS], dtype=object)[which], "owner": owner,
        "deadline": deadline, "closed_date": closed,
    }


def _fund_rows(rng, county: County, cal: Calendar) -> tuple[np.ndarray, dict]:
    years = cal.years()
    uses = np.array(contract.FUND_USES, dtype=object)
    school, cell = _cross(np.flatnonzero(county.submitted), len(years) * len(uses))
    y, use = cell // len(uses), cell % len(uses)
    d = county.diligence[school]
    p = np.where(use == 0, 0.97, 0.35 + 0.65 * d)
    spent = _chance(rng, p)
    school, y, use = school[spent], y[spent], use[spent]
    scale = np.array([20000, 3000, 5000, 2000])[use] * (0.5 + county.students()[school] / 1000)
    amount = np.round(scale * (0.4 + rng.random(len(school))), -1) + np.round(rng.random(len(school)), 2)
    return school, {"date": years.pick(rng, y), "use": uses[use], "amount": np.round(amount, 2)}


@dataclass
class BureauFacts:
    falsification: list[str] = field(default_factory=list)
    major_incident: list[str] = field(default_factory=list)
    assessed: list[tuple[str, str, float]] = field(default_factory=list)


def _inspection_rows(rng, county: County, cal: Calendar) -> tuple[np.ndarray, dict, BureauFacts]:
    years = cal.years()
    school, y = _cross(np.arange(county.size), len(years))
    visits = rng.binomial(2, 0.45, len(school))
    school, y = np.repeat(school, visits), np.repeat(y, visits)
    first = np.r_[True, (np.diff(school) != 0) | (np.diff(y) != 0)] if len(school) else np.array([], bool)
    # First visit of the year in spring term, second in autumn term: never on the same day.
    year0 = years.days[y, 0].astype("datetime64[Y]").astype("datetime64[D]")
    day = np.where(first, year0 + rng.integers(60, 170, len(school)).astype("timedelta64[D]"),
                   year0 + rng.integers(250, 340, len(school)).astype("timedelta64[D]"))
    weekday = (day.view("int64") - 4) % 7
    day = day - np.maximum(0, weekday - 4).astype("timedelta64[D]")  # inspectors come on weekdays
    keep = day <= cal.today
    school, day = school[keep], day[keep]
    d = county.diligence[school]
    found = np.array([f[0] for f in INSPECTION_FINDINGS], dtype=object)
    ded = np.array([f[1] for f in INSPECTION_FINDINGS])
    pick = np.where(_chance(rng, 0.2 + 0.6 * (1 - d)), rng.integers(0, len(found) - 1, len(school)), len(found) - 1)
    finding = found[pick]
    finding[finding == ""] = None
    deduction = np.where(finding != None, ded[pick], np.nan)  # noqa: E711 (elementwise)
    n = len(school)
    columns = {
        "date": day, "kind": np.where(rng.random(n) < 0.6, "定期", "不定期").astype(object), "finding": finding,
        "deduction": deduction, "falsification": np.zeros(n, bool), "major_incident": np.zeros(n, bool),
        "indicator": np.full(n, None, dtype=object), "assessed_points": np.full(n, np.nan),
    }
    facts = BureauFacts()
    extra = _bureau_findings(rng, county, cal, facts)
    if extra:
        ex = pd.DataFrame(extra)
        school = np.r_[school, ex.pop("school").to_numpy()]
        for k in columns:
            columns[k] = np.r_[columns[k], ex[k].to_numpy()] if k in ex else columns[k]
    dedup = pd.DataFrame({"s": school, "d": columns["date"]}).duplicated(keep="last").to_numpy()
    return school[~dedup], {k: v[~dedup] for k, v in columns.items()}, facts


def _bureau_findings(rng, county: County, cal: Calendar, facts: BureauFacts) -> list[dict]:
    """The running year's special findings: one falsification, none or one major incident, assessors' points."""
    candidates = np.flatnonzero(county.submitted)
    if not len(candidates):
        return []
    today = cal.today
    out = []
    by_care = candidates[np.argsort(county.diligence[candidates], kind="stable")]
    cheat = int(by_care[int(rng.integers(0, max(1, len(by_care) // 4)))])  # among the careless quarter
    out.append(_special(cheat, today - np.timedelta64(45, "D"), "不定期", "應急演練簽到表存在代簽、替簽", falsification=True))
    facts.falsification.append(county.codes[cheat])
    others = [int(s) for s in candidates if s != cheat]
    if others and rng.random() < 0.5:
        hit = others[int(rng.integers(0, len(others)))]
        out.append(_special(hit, today - np.timedelta64(80, "D"), "不定期", "學生在校期間溺水死亡，造成重大安全影響",
                            major_incident=True))
        facts.major_incident.append(county.codes[hit])
    for i, (indicator, most) in enumerate(ASSESSED[: 1 + int(rng.random() < 0.5)]):
        if not others:
            break
        who = others[int(rng.integers(0, len(others)))]
        points = float(np.round(rng.random() * most * 2) / 2)
        out.append(_special(who, today - np.timedelta64(10 + i, "D"), "考評", f"考評組評定{indicator}",
                            indicator=indicator, points=points))
        facts.assessed.append((county.codes[who], indicator, points))
    return out


def _special(school, day, kind, finding, falsification=False, major_incident=False, indicator=None, points=np.nan):
    return {
        "school": school, "date": day, "kind": kind, "finding": finding, "deduction": np.nan,
        "falsification": falsification, "major_incident": major_incident, "indicator": indicator,
        "assessed_points": points,
    }


# ---------------------------------------------------------------- the county


@dataclass
class DemoCounty:
    county: County
    frames: dict[str, pd.DataFrame]
    facts: BureauFacts
    today: date


def _whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_size(schools: int, seed: int) -> None:
    if not _whole(schools) or not 1 <= schools <= MAX_SCHOOLS:
        raise UserError(f"the demo county needs between 1 and {MAX_SCHOOLS:,} schools, not {schools!r}")
    if not _whole(seed) or seed < 0:
        raise UserError(f"the demo seed must be a whole number of 0 or more, not {seed!r}")


def build_county(schools: int = 60, seed: int = 2026, today: date | None = None) -> DemoCounty:
    """The whole county: school facts, records per sheet, and the bureau's special findings."""
    _check_size(schools, seed)
    today = today or county_today()  # the day scoring takes for today, not the server's (found by an audit)
    rng = np.random.default_rng([seed, 20260501])
    county = make_county(rng, int(schools))
    first_year = today.year - 2
    cal = Calendar(first_year, today)
    years = list(range(first_year, today.year + 1))
    frames: dict[str, pd.DataFrame] = {}
    s, cols = _school_rows(county)
    frames["school"] = _frame("school", s, cols, county)
    frames["campuses"] = _frame("campuses", *_campus_rows(rng, county), county)
    frames["checklist"] = _frame("checklist", *_checklist_rows(rng, county, first_year), county)
    frames["agreements"] = _frame("agreements", *_agreement_rows(rng, county, years), county)
    frames["office_staff"] = _frame("office_staff", *_office_rows(rng, county, first_year), county)
    frames["drills"] = _frame("drills", *_drill_rows(rng, county, cal), county)
    frames["education"] = _frame("education", *_education_rows(rng, county, cal), county)
    guards, guard_cols = _guards(rng, county, cal)
    frames["guards"] = _frame("guards", guards.school, guard_cols, county)
    frames["guard_training"] = _frame("guard_training", *_guard_training_rows(rng, county, cal, guards), county)
    frames["guard_drills"] = _frame("guard_drills", *_guard_drill_rows(rng, county, cal), county)
    frames["gate_duty"] = _frame("gate_duty", *_gate_duty_rows(rng, county, cal), county)
    frames["hazards"] = _frame("hazards", *_hazard_rows(rng, county, cal), county)
    frames["funds"] = _frame("funds", *_fund_rows(rng, county, cal), county)
    everyone = np.arange(county.size)
    frames["registry"] = _bureau_frame("registry", everyone, county, {
        "name": county.names, "type": county.types, "township": county.townships})
    ins_school, ins_cols, facts = _inspection_rows(rng, county, cal)
    frames["inspections"] = _bureau_frame("inspections", ins_school, county, ins_cols)
    return DemoCounty(county, frames, facts, today)


def _bureau_frame(key: str, school: np.ndarray, county: County, columns: dict) -> pd.DataFrame:
    frame = _frame(key, school, columns, county)
    order = frame.sort_values(["date", "school_code"], kind="stable").index if "date" in frame else frame.index
    frame = frame.loc[order].reset_index(drop=True)
    frame["source_id"] = BUREAU_SOURCE_ID
    frame["row_no"] = np.arange(len(frame), dtype=np.int64) + 2
    return frame


def county_frames(schools: int = 60, seed: int = 2026, today: date | None = None) -> dict[str, pd.DataFrame]:
    """The demo county's records in load_frames' shape (one DataFrame per sheet key of the contract).

    These are the records the schools meant to keep; `write_demo` writes exactly these, except where a
    listed mistake changes a cell or a file.  source_id is 1 for the bureau workbook and 2 + the school's
    position for its workbook; row_no is the sheet row (header on row 1).
    """
    return build_county(schools, seed, today).frames


# ---------------------------------------------------------------- the inbox


@dataclass(frozen=True)
class DemoMistake:
    """One deliberate departure from the template, and what the sync should make of it."""

    school_code: str
    file: str  # relative to the inbox
    sheet: str  # the sheet's name as written, "" for the whole file
    row: int | None  # the sheet row, when one row is affected
    what_zh: str
    what_en: str
    expected: str  # "row refused", "file refused" or "read as usual"

    def line(self) -> str:
        where = self.file + (f" / {self.sheet}" if self.sheet else "") + (f" row {self.row}" if self.row else "")
        return f"{where}: {self.what_en} ({self.what_zh}) -> {self.expected}"


@dataclass
class DemoSummary:
    inbox: Path
    seed: int
    today: date
    schools: int  # registered
    bureau_file: str
    school_files: list[str]
    never_submitted: list[tuple[str, str]]
    falsification: list[str]
    major_incident: list[str]
    assessed: list[tuple[str, str, float]]
    mistakes: list[DemoMistake]
    records: dict[str, int]
    removed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What the CLI prints: where the county went and what to look for in it."""
        out = [
            f"demo county (seed {self.seed}, records up to {self.today.isoformat()}) written to {self.inbox}",
            f"  bureau workbook: {self.bureau_file}",
            f"  school workbooks: {len(self.school_files)} of {self.schools} registered schools",
            f"  records: {sum(self.records.values()):,} "
            + "(" + ", ".join(f"{k} {v:,}" for k, v in self.records.items()) + ")",
        ]
        for code, name in self.never_submitted:
            out.append(f"  never submitted (registered, no workbook): {code} {name}")
        for code in self.falsification:
            out.append(f"  falsification finding (弄虛作假, disqualified): {code}")
        for code in self.major_incident:
            out.append(f"  major safety incident (重大安全事故, disqualified): {code}")
        for code, indicator, points in self.assessed:
            out.append(f"  assessors set {indicator} = {points:g} for {code}")
        if self.removed:
            out.append(f"  removed {len(self.removed)} workbook(s) left by an earlier demo run")
        out.append(f"  mistakes people really make ({len(self.mistakes)}):")
        out += [f"    - {m.line()}" for m in self.mistakes]
        return out


def _slices(frame: pd.DataFrame, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each school's rows start and stop (frames are sorted by school code)."""
    column = frame["school_code"].to_numpy(dtype=str)
    return np.searchsorted(column, codes, "left"), np.searchsorted(column, codes, "right")


def _school_path(code: str, name: str, township: str, fmt: str, uploads: bool = False) -> Path:
    """Where a school's workbook lies: the shared folder by township, or, for a school that sends it
    through the dashboard, uploads/<code> (where an upload replaces it)."""
    if uploads:
        return UPLOADS_DIR / f"{code}.{fmt}"
    return SCHOOLS_DIR / township / f"{code}-{name}.{fmt}"


UPLOADING_EVERY = 4  # every fourth school sends its workbook through the dashboard, so the demo shows both ways


_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _cn_date(serial) -> str:
    day = (EXCEL_EPOCH + np.timedelta64(int(serial), "D")).astype(object)
    return f"{day.year}年{day.month}月{day.day}日"


def _set(parts: dict, key: str, column: str, row: int, value) -> None:
    rows = parts[key]
    rows.columns[rows.keys.index(column)][row] = value


def _get(parts: dict, key: str, column: str, row: int):
    rows = parts[key]
    return rows.columns[rows.keys.index(column)][row]


def _bad_date(parts, quirks):
    serial = _get(parts, "drills", "date", 0)
    day = (EXCEL_EPOCH + np.timedelta64(int(serial), "D")).astype(object)
    _set(parts, "drills", "date", 0, f"{day.month}月{day.day}號")
    return "drills", 0, "演練日期寫成沒有年份的文字", "drill date typed as text without a year", "row refused"


def _negative(parts, quirks):
    _set(parts, "drills", "participants", 1, -int(_get(parts, "drills", "participants", 1)))
    return "drills", 1, "參演人數填了負數", "negative number of participants", "row refused"


def _signed_above(parts, quirks):
    _set(parts, "drills", "signed_classes", 2, int(_get(parts, "drills", "classes", 2)) + 2)
    return "drills", 2, "簽到班級數多於參演班級數", "more classes signed in than took part", "row refused"


def _title_row(parts, quirks):
    quirks.title_row = "學校安全工作台賬（請勿刪除本行以下表頭）"
    return "", None, "每個工作表表頭上方加了合併的標題行", "a merged title row above every header", "read as usual"


def _blank_rows(parts, quirks):
    quirks.blank_every = 5
    return "", None, "記錄之間每隔五行空一行", "a blank row after every five records", "read as usual"


def _notes_line(parts, quirks):
    quirks.notes_line = "填表人：＿＿＿＿　審核人（校長）：＿＿＿＿　（本表由學校安全辦填寫）"
    return "", None, "表格下方有填表人、審核人簽名行", "a signature line under every table", "read as usual"


def _simplified(parts, quirks):
    quirks.simplified = True
    return "", None, "工作表名稱和表頭用了簡體字", "sheet names and headers in Simplified characters", "read as usual"


def _as_xls(parts, quirks):
    quirks.fmt = "xls"
    return "", None, "另存為舊版 Excel 97-2003 (.xls)", "saved as an old Excel 97-2003 .xls file", "read as usual"


def _as_ods(parts, quirks):
    quirks.fmt = "ods"
    return "", None, "用 WPS/LibreOffice 另存為 .ods", "saved as an OpenDocument .ods file", "read as usual"


def _missing_sheet(parts, quirks):
    quirks.skip_sheets = ("drills",)
    return "", None, "刪掉了「應急演練」工作表", "the required sheet 應急演練 was deleted", "file refused"


def _typed_forms(parts, quirks):
    guards = parts["guards"]
    for key in contract.GUARD_KIT:
        col = guards.columns[guards.keys.index(key)]
        col[:] = ["✓" if v == "是" else "✗" if v == "否" else v for v in col]
    edu = parts["education"]
    dates = edu.columns[edu.keys.index("date")]
    dates[:] = [_cn_date(v) if isinstance(v, float) else v for v in dates]
    campuses = parts["campuses"]
    for key, form in (("students", lambda v: f"{v:,}"), ("staff", lambda v: str(v).translate(_FULL_WIDTH))):
        col = campuses.columns[campuses.keys.index(key)]
        col[:] = [form(int(v)) if v is not None else v for v in col]
    return ("", None, "器械欄用✓/✗，教育日期寫成「2026年3月5日」，人數用全角數字和千位分隔符",
            "kit as ✓/✗, education dates as 2026年3月5日 text, counts as full-width digits and 1,234", "read as usual")


# (name, needs at least this many drills) in the order they are handed out.
MISTAKES = (
    (_bad_date, 1), (_negative, 2), (_signed_above, 3), (_title_row, 0), (_blank_rows, 0), (_notes_line, 0),
    (_simplified, 0), (_as_xls, 0), (_as_ods, 0), (_missing_sheet, 0), (_typed_forms, 0),
)


def _assign_mistakes(rng: np.random.Generator, county: County, drills_per_school: np.ndarray) -> dict[int, object]:
    """Give each mistake its own school (a school with enough drills where the mistake needs them)."""
    candidates = [int(s) for s in rng.permutation(np.flatnonzero(county.submitted))]
    taken: dict[int, object] = {}
    for mistake, drills_needed in MISTAKES:
        for s in candidates:
            if s not in taken and drills_per_school[s] >= drills_needed:
                taken[s] = mistake
                break
    return taken


def _remove_stale(inbox: Path, keep: set[Path]) -> list[str]:
    """Workbooks an earlier demo run wrote that this county does not have (same code pattern, other name)."""
    removed = []
    pattern = re.compile(rf"^{SCHOOL_CODE_PREFIX}\d{{5}}(-.+)?\.(xlsx|xls|ods)$")
    found = sorted((inbox / SCHOOLS_DIR).glob("*/*")) + sorted((inbox / UPLOADS_DIR).glob("*"))
    for path in found:
        rel = path.relative_to(inbox)
        if path.is_file() and pattern.match(path.name) and rel not in keep:
            try:
                path.unlink()
            except OSError as err:
                raise UserError(f"cannot remove the old demo workbook {path}: {err.strerror or err}") from None
            removed.append(str(rel))
    return removed


def _refuse_a_real_inbox(inbox: Path) -> None:
    """The demo overwrites the bureau workbook and removes the workbooks of an earlier demo: it never
    writes into a folder holding a workbook it did not write (a county's own inbox, named by
    SAFESCHOOL_INBOX in that shell), which the next sync would replace with a made-up county."""
    from sync.load import list_inbox

    if not inbox.is_dir():
        return
    ours = re.compile(rf"^{SCHOOL_CODE_PREFIX}\d{{5}}(-.+)?\.(xlsx|xls|ods)$")
    foreign = [path.relative_to(inbox) for _key, path in list_inbox(inbox)
               if path.relative_to(inbox) != BUREAU_FILE and not ours.match(path.name)]
    if foreign:
        raise UserError(
            f"演示數據不能寫入 {inbox}:其中有 {len(foreign)} 個不是演示生成的工作簿(如 {foreign[0]});請用 --inbox 指定一個空文件夾 / "
            f"the demo county is not written into {inbox}: it holds {len(foreign)} workbook(s) the demo did not "
            f"write (e.g. {foreign[0]}); give the demo an empty folder with --inbox")


def write_demo(inbox: Path, schools: int = 60, seed: int = 2026, today: date | None = None) -> DemoSummary:
    """Write the demo county into inbox: the bureau workbook and one filled template per school.

    Same seed and today -> byte-identical files (an unchanged re-sync is skipped by content hash).
    """
    from sync.template import Quirks, school_workbook_title, sheet_rows, write_bureau_workbook, write_workbook

    _refuse_a_real_inbox(Path(inbox))
    demo = build_county(schools, seed, today)
    county, frames, inbox = demo.county, demo.frames, Path(inbox)
    write_bureau_workbook(inbox / BUREAU_FILE, frames["registry"], frames["inspections"])

    submitted = np.flatnonzero(county.submitted)
    codes = county.codes[submitted].astype(str)
    whole = {s.key: sheet_rows(s.key, frames[s.key]) for s in contract.SCHOOL_SHEETS}
    bounds = {key: _slices(frames[key], codes) for key in whole}
    drills_start, drills_stop = bounds["drills"]
    drills_per_school = np.zeros(county.size, np.int64)
    drills_per_school[submitted] = drills_stop - drills_start
    mistakes_for = _assign_mistakes(np.random.default_rng([seed, 7]), county, drills_per_school)

    files, mistakes, keep = [], [], set()
    for i, s in enumerate(submitted.tolist()):
        parts = {key: rows.slice(bounds[key][0][i], bounds[key][1][i]) for key, rows in whole.items()}
        quirks = Quirks()
        found = mistakes_for.get(s)(parts, quirks) if s in mistakes_for else None
        rel = _school_path(county.codes[s], county.names[s], county.townships[s], quirks.fmt,
                           uploads=i % UPLOADING_EVERY == UPLOADING_EVERY - 1)
        write_workbook(inbox / rel, list(parts.values()), quirks, school_workbook_title({"name": county.names[s]}))
        files.append(str(rel))
        keep.add(rel)
        if found:
            sheet_key, row, what_zh, what_en, expected = found
            sheet_name = contract.SHEETS[sheet_key].zh if sheet_key else ""
            mistakes.append(DemoMistake(county.codes[s], str(rel), sheet_name, None if row is None else row + 2,
                                        what_zh, what_en, expected))
    removed = _remove_stale(inbox, keep)
    never = [(county.codes[s], county.names[s]) for s in np.flatnonzero(~county.submitted)]
    mistakes.sort(key=lambda m: m.school_code)
    return DemoSummary(
        inbox=inbox, seed=seed, today=demo.today, schools=county.size, bureau_file=str(BUREAU_FILE),
        school_files=files, never_submitted=never, falsification=demo.facts.falsification,
        major_incident=demo.facts.major_incident, assessed=demo.facts.assessed, mistakes=mistakes,
        records={k: len(v) for k, v in frames.items()}, removed=removed,
    )
