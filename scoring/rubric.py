"""The rubric as data: load `rubric.toml` (or a bureau's own copy) and check it.

A rubric whose indicator points do not add up to 100, that names an unknown
indicator or area, or that misses a value the rules need is refused with a
ConfigError naming the file and the line.  tomllib keeps no line numbers, so
the line is found by searching the text for the offending key.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from sync.errors import ConfigError

DEFAULT_RUBRIC = Path(__file__).with_name("rubric.toml")

INDICATOR_IDS = (
    "A1", "A2", "A3", "A4", "A5",
    "B1", "B2", "B3",
    "C1", "C2", "C3", "C4", "C5", "C6",
    "D1", "D2", "D3", "D4", "D5",
    "E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8",
    "F1", "F2", "F3",
    "G1",
)
AREA_IDS = ("A", "B", "C", "D", "E", "F", "G")

_THRESHOLDS = {
    "office": ("students", "small", "large"),
    "guards": (
        "people_low", "people_high", "base_low", "base_mid", "step_people", "step_guards",
        "boarders_step", "boarders_guards", "rounding",
    ),
    "guard_age": ("limit",),
    "guard_training": ("days",),
    "lectures": ("per_semester",),
    "term": ("month_days", "week_weekdays"),
}
# Tables added to the rubric after bureaus had copies of their own: a copy without one takes the default
# rubric's, read from its file (the numbers are written once, there).
_ADDED_LATER = ("term",)


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    name_en: str
    clause: str


@dataclass(frozen=True)
class Theme:
    name: str
    name_en: str
    months: tuple[int, ...]
    clause: str


@dataclass(frozen=True)
class Grade:
    name: str
    name_en: str
    min: float


@dataclass
class Rubric:
    version: str
    points: dict[str, float]
    clauses: dict[str, str]
    areas: dict[str, Area]
    thresholds: dict[str, dict]
    themes: tuple[Theme, ...]
    grades: tuple[Grade, ...]
    spring: tuple[tuple[int, int], tuple[int, int]]
    autumn: tuple[tuple[int, int], tuple[int, int]]
    calendar_overrides: dict[int, dict[str, tuple[date, date]]] = field(default_factory=dict)
    source: str = str(DEFAULT_RUBRIC)

    def semester(self, year: int, which: str) -> tuple[date, date]:
        """Start and end of the semester `which` ("spring"/"autumn") that starts in `year`."""
        override = self.calendar_overrides.get(year, {}).get(which)
        if override:
            return override
        (sm, sd), (em, ed) = self.spring if which == "spring" else self.autumn
        start = date(year, sm, sd)
        end = date(year, em, ed)
        if end < start:  # autumn runs into the next year
            end = date(year + 1, em, ed)
        return start, end

    def wording(self) -> dict:
        """The grade bands and area names a circular states, as stored with a year's results (a later
        rubric must not reword a frozen year) and as a circular of results stored without them reads."""
        return {"grades": [[g.name, g.min] for g in self.grades],
                "areas": {a: self.areas[a].name for a in AREA_IDS}}

    def grade_for(self, total: float) -> Grade:
        for grade in self.grades:
            if total >= grade.min:
                return grade
        return self.grades[-1]

    def with_calendar(self, overrides: dict[int, dict[str, tuple[date, date]]]) -> Rubric:
        merged = {**self.calendar_overrides}
        for year, semesters in overrides.items():
            merged[int(year)] = {**merged.get(int(year), {}), **{k: v for k, v in semesters.items() if v}}
        fields = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        return Rubric(**{**fields, "calendar_overrides": merged})


_TOP_LEVEL = ("version", "indicators", "areas", "thresholds", "themes", "grades", "calendar")


def _must_be_a_table(table, where: str, path: str, text: str, section: str = "") -> None:
    """Refuse a plain value where a table belongs: `A = "x"` under [areas] had its letters taken for keys, and
    `areas = "x"` or `thresholds = [1, 2]` ended every scoring command in a traceback (a configuration audit)."""
    if not isinstance(table, dict):
        where_zh = "評分細則" if where == "the rubric" else where
        raise _fail(path, text, f"{where} must be a table of keys, not {table!r}",
                    *([section, section.rsplit(".", 1)[-1]] if section else []),
                    zh=f"{where_zh} 應為一個設置表，而不是 {table!r}")


def _only_known(table: dict, known: tuple[str, ...], where: str, path: str, text: str, section: str = "") -> None:
    """Refuse a key the scoring does not read: a misspelt table ([[theme]]) or a number rules.md does not
    make configurable (per_month) was passed over, and the bureau took it for applied (a rubric audit).
    `section`: the dotted name of `table`, to find the line of a table under it ([calendar.2026])."""
    where_zh = "評分細則" if where == "the rubric" else where
    _must_be_a_table(table, where, path, text, section)
    unknown = [key for key in table if key not in known]
    if not unknown:
        return
    more, more_zh = "", ""
    if section == "calendar" and any(str(key).isdigit() for key in unknown):
        more = "; a year's own terms go in the configuration file (SAFESCHOOL_CONFIG) as [calendar.YYYY]"
        more_zh = "；某一年自己的學期日期請寫在配置文件（SAFESCHOOL_CONFIG）的 [calendar.年份] 中"
    first = str(unknown[0])
    raise _fail(path, text, f"{where} has {', '.join(map(repr, unknown))}, which the scoring does not read "
                f"(known: {', '.join(known)}){more}", *([f"{section}.{first}"] if section else []), first,
                zh=f"{where_zh}中的 {'、'.join(map(str, unknown))} 不是評分細則的設置項（可用：{'、'.join(known)}）{more_zh}")


@lru_cache(maxsize=1)
def _default_tables() -> dict:
    """The default rubric's tables, read once: what a county's copy leaves out is taken from them (each
    lookup read and parsed the file again)."""
    return tomllib.loads(DEFAULT_RUBRIC.read_text(encoding="utf-8"))


def _line_of(text: str, *needles: str) -> int:
    """1-based line of the first needle found in the text (0 when none is)."""
    lines = text.splitlines()
    for needle in needles:
        pattern = re.compile(rf"(^|[\s\[.\"']){re.escape(needle)}($|[\s\].\"'=])")
        for number, line in enumerate(lines, start=1):
            if pattern.search(line.split("#", 1)[0]):
                return number
    return 0


def _fail(path: str, text: str, message: str, *needles: str, zh: str | None = None) -> ConfigError:
    line = _line_of(text, *needles) if needles else 0
    where = f"{path}, line {line}" if line else path
    return ConfigError(f"rubric {where}: {message}", f"評分細則 {where}:{zh}" if zh else None)


def _month_day(value, path, text, key) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in str(value).split("-"))
        date(2000, month, day)
    except (ValueError, TypeError):
        raise _fail(path, text, f"calendar {key} {value!r} is not a month-day like \"02-20\"", key,
                    zh=f"calendar {key} 的 {value!r} 不是「月-日」（如 \"02-20\"）") from None
    return month, day


def parse_rubric(text: str, path: str = "<rubric>") -> Rubric:
    """Build a Rubric from TOML text, refusing anything the scoring could not use."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"rubric {path}: not valid TOML ({err})", f"評分細則 {path} 不是有效的 TOML 文件（{err}）") from None
    _only_known(raw, _TOP_LEVEL, "the rubric", path, text)
    indicators = raw.get("indicators")
    if not isinstance(indicators, dict):
        raise _fail(path, text, "has no [indicators] table", zh="沒有 [indicators]（指標分值）表")
    points: dict[str, float] = {}
    clauses: dict[str, str] = {}
    for key, entry in indicators.items():
        if key not in INDICATOR_IDS:
            raise _fail(path, text, f"unknown indicator {key!r}; known: {', '.join(INDICATOR_IDS)}", key,
                        zh=f"沒有指標 {key}（可用：{'、'.join(INDICATOR_IDS)}）")
        if isinstance(entry, dict):
            # a misspelt key (cluase) dropped the clause the circular cites, without a word (a config audit)
            _only_known(entry, ("points", "clause"), f"indicators.{key}", path, text)
        value = entry.get("points") if isinstance(entry, dict) else entry
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise _fail(path, text, f"indicator {key} needs points = a number >= 0", key,
                        zh=f"指標 {key} 的分值 points 須為不小於 0 的數")
        points[key] = float(value)
        clauses[key] = str(entry.get("clause", "")) if isinstance(entry, dict) else ""
    missing = [i for i in INDICATOR_IDS if i not in points]
    if missing:
        raise _fail(path, text, f"indicator(s) {', '.join(missing)} missing (give 0 points to drop one)", "indicators",
                    zh=f"缺少指標 {'、'.join(missing)}（不考評的指標請寫 0 分，不要刪除）")
    total = sum(points.values())
    if abs(total - 100) > 1e-6:
        raise _fail(path, text, f"indicator points add up to {total:g}, not 100", "indicators",
                    zh=f"各指標分值合計 {total:g} 分，應為 100 分")
    areas = {}
    raw_areas = raw.get("areas", {})
    _must_be_a_table(raw_areas, "[areas]", path, text, "areas")
    for key, entry in raw_areas.items():
        if key not in AREA_IDS:
            raise _fail(path, text, f"unknown area {key!r}; known: {', '.join(AREA_IDS)}", f"areas.{key}", key,
                        zh=f"沒有考評領域 {key}（可用：{'、'.join(AREA_IDS)}）")
        _only_known(entry, ("name", "name_en", "clause"), f"[areas.{key}]", path, text, f"areas.{key}")
        areas[key] = entry
    # An area, or a name of one, a county's copy leaves out is the default rubric's (as [thresholds.term] is):
    # named by its letter alone, "A A" headed the circular and the dashboard took it for a renamed area.
    default_areas = _default_tables().get("areas", {})
    for key in AREA_IDS:
        entry, default = areas.get(key) or {}, default_areas.get(key) or {}
        areas[key] = Area(key, str(entry.get("name", default.get("name", key))),
                          str(entry.get("name_en", default.get("name_en", key))),
                          str(entry.get("clause", default.get("clause", ""))))
    thresholds = raw.get("thresholds", {})
    _must_be_a_table(thresholds, "[thresholds]", path, text, "thresholds")
    for group in _ADDED_LATER:
        if group not in thresholds:
            thresholds[group] = dict(_default_tables()["thresholds"][group])
    _only_known(thresholds, tuple(_THRESHOLDS), "[thresholds]", path, text, "thresholds")
    for group, names in _THRESHOLDS.items():
        table = thresholds.get(group)
        if table is None:
            raise _fail(path, text, f"[thresholds.{group}] is missing", "thresholds",
                        zh=f"缺少 [thresholds.{group}] 表")
        _only_known(table, (*names, "clause"), f"[thresholds.{group}]", path, text, f"thresholds.{group}")
        for name in names:
            value = table.get(name)
            if value is None:
                raise _fail(path, text, f"thresholds.{group}.{name} is missing", f"thresholds.{group}",
                            zh=f"缺少 thresholds.{group}.{name}")
            if name == "rounding":
                if value not in ("full", "any"):
                    raise _fail(path, text, f"thresholds.guards.rounding must be \"full\" or \"any\", not {value!r}",
                                "rounding", zh=f"thresholds.guards.rounding 只能是 \"full\" 或 \"any\"，不能是 {value!r}")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise _fail(path, text, f"thresholds.{group}.{name} needs a number >= 0", name, f"thresholds.{group}",
                            zh=f"thresholds.{group}.{name} 須為不小於 0 的數")
            elif value != int(value):
                # people, guards, lectures, days and years are counted whole: 2.5 lectures was read as 2
                raise _fail(path, text, f"thresholds.{group}.{name} needs a whole number, not {value:g}", name,
                            f"thresholds.{group}", zh=f"thresholds.{group}.{name} 須為整數，不能是 {value:g}")
    for group, name in (("guards", "step_people"), ("guards", "boarders_step"), ("lectures", "per_semester"),
                        ("guard_training", "days"), ("term", "month_days"), ("term", "week_weekdays")):
        if thresholds[group][name] <= 0:
            raise _fail(path, text, f"thresholds.{group}.{name} must be above 0", name,
                        zh=f"thresholds.{group}.{name} 須大於 0")
    for name, most in (("month_days", 31), ("week_weekdays", 5)):  # else no month, or no week, is a term one
        if thresholds["term"][name] > most:
            raise _fail(path, text, f"thresholds.term.{name} must be at most {most}", name,
                        zh=f"thresholds.term.{name} 不能大於 {most}")
    if thresholds["guards"]["people_low"] > thresholds["guards"]["people_high"]:
        low, high = thresholds["guards"]["people_low"], thresholds["guards"]["people_high"]
        raise _fail(path, text, f"thresholds.guards.people_low ({low:g}) is above people_high ({high:g}): the "
                    "middle band of E1's formula would hold no school", "people_low",
                    zh=f"thresholds.guards.people_low（{low:g}）大於 people_high（{high:g}），E1 公式的中間一檔將沒有學校")
    themes = []
    for entry in raw.get("themes") or []:
        _only_known(entry, ("name", "name_en", "months", "clause"), "[[themes]]", path, text)
        months = entry.get("months")
        if not entry.get("name") or not isinstance(entry["name"], str) or not isinstance(months, list) or not months or \
                any(not isinstance(m, int) or not 1 <= m <= 12 for m in months):
            raise _fail(path, text, "each [[themes]] needs a name and months = [1..12, ...]",
                        entry["name"] if isinstance(entry.get("name"), str) else "themes", "themes",
                        zh="每個 [[themes]]（季節專題）須有 name 和 months = [1 至 12 的月份, ...]")
        themes.append(Theme(entry["name"], str(entry.get("name_en", entry["name"])), tuple(months),
                            str(entry.get("clause", ""))))
    if not themes and points["C5"] > 0:
        # C5 would give every school 0 of its points, saying no theme was due (a [[theme]] typo did so)
        raise _fail(path, text, f"no [[themes]] given, while C5 counts {points['C5']:g} points: add the seasonal "
                    "themes (rules.md C5) or give C5 0 points", "themes", "C5",
                    zh=f"沒有 [[themes]]（季節專題），而 C5 佔 {points['C5']:g} 分：請加上季節專題，或把 C5 設為 0 分")
    grades = []
    for entry in raw.get("grades") or []:
        _only_known(entry, ("name", "name_en", "min", "clause"), "[[grades]]", path, text)
        if not isinstance(entry.get("name"), str) or not entry["name"] or isinstance(entry.get("min"), bool) or \
                not isinstance(entry.get("min"), (int, float)):
            raise _fail(path, text, "each [[grades]] needs a name and a min", "grades",
                        zh="每個 [[grades]]（等次）須有 name 和 min（下限）")
        if not 0 <= entry["min"] <= 100:  # (nan is not either)
            raise _fail(path, text, f"[[grades]] {entry['name']} has min = {entry['min']:g}: a total lies between 0 "
                        "and 100", str(entry["name"]), "grades",
                        zh=f"等次「{entry['name']}」的下限 min = {entry['min']:g} 不在 0 到 100 之間")
        grades.append(Grade(entry["name"], str(entry.get("name_en", entry["name"])), float(entry["min"])))
    if not grades:
        raise _fail(path, text, "no [[grades]] given", zh="沒有 [[grades]]（等次）")
    for what, seen in (("name", [g.name for g in grades]), ("min", [g.min for g in grades])):
        twice = sorted({f"{v:g}" if isinstance(v, float) else str(v) for v in seen if seen.count(v) > 1})
        if twice:
            # two bands of one min: the second could never be given; of one name: two lines of one grade
            raise _fail(path, text, f"two [[grades]] bands have the same {what} ({', '.join(twice)})", "grades",
                        zh=f"兩個等次的 {what} 相同（{'、'.join(twice)}）")
    mins = [g.min for g in grades]
    if mins != sorted(mins) and mins != sorted(mins, reverse=True):
        # 優秀 min 50 above 良好 min 80: sorted by min, 55 was 優秀 and 95 良好 (a config audit); which the
        # bureau meant cannot be told, so neither is guessed
        listed = ", ".join(f"{g.name} {g.min:g}" for g in grades)
        raise _fail(path, text, f"the [[grades]] bands are not in order of their min ({listed}): list them best "
                    "first, each min below the one above it", "grades",
                    zh=f"[[grades]] 各等次的下限 min 未按順序排列（{listed.replace(', ', '、')}）："
                       "請從最高等次寫起，每一等次的 min 都低於上一等次")
    grades.sort(key=lambda g: -g.min)
    if grades[-1].min > 0:
        # rules.md: 不合格 < 60, the band a total below every other falls in and a vetoed school's grade;
        # without one, the lowest band named was given whatever its min (50.0 graded 合格, found by an audit)
        lowest = grades[-1]
        raise _fail(path, text, f"the lowest [[grades]] band, {lowest.name}, has min = {lowest.min:g}: a total below "
                    "it would have no grade; add the failing band with min = 0 (rules.md: 不合格 < 60)", "grades",
                    zh=f"最低的等次「{lowest.name}」下限為 min = {lowest.min:g},低於它的總分沒有等次;"
                       "請加上 min = 0 的不合格等次")
    calendar = raw.get("calendar") or {}
    _only_known(calendar, ("spring", "autumn", "clause"), "[calendar]", path, text, "calendar")
    semesters = {}
    for which in ("spring", "autumn"):
        pair = calendar.get(which)
        if not isinstance(pair, list) or len(pair) != 2:
            raise _fail(path, text, f"calendar.{which} needs [\"MM-DD\", \"MM-DD\"]", which, "calendar",
                        zh=f"calendar.{which} 應寫作 [\"月-日\", \"月-日\"]（開始、結束）")
        semesters[which] = (_month_day(pair[0], path, text, which), _month_day(pair[1], path, text, which))
    _check_semester_order(semesters, path, text)
    return Rubric(
        version=str(raw.get("version", "unversioned")), points=points, clauses=clauses, areas=areas,
        thresholds=thresholds, themes=tuple(themes), grades=tuple(grades),
        spring=semesters["spring"], autumn=semesters["autumn"], source=path,
    )


def _check_semester_order(semesters: dict, path: str, text: str) -> None:
    """rules.md "Who is measured": two semesters a year, spring inside it and autumn alone running into the
    next (as the configuration's [calendar.<year>] is checked); a pair typed the wrong way round, or
    overlapping, moved every year's term months without a word (found by an audit)."""
    (s_start, s_end), (a_start, a_end) = semesters["spring"], semesters["autumn"]

    def md(pair: tuple[int, int]) -> str:
        return f"{pair[0]:02d}-{pair[1]:02d}"

    if s_end < s_start:
        raise _fail(path, text, f"calendar.spring ends on {md(s_end)}, before it starts ({md(s_start)}); only autumn "
                    "runs into the next year", "spring",
                    zh=f"calendar.spring 的結束日 {md(s_end)} 早於開始日 {md(s_start)};只有秋季學期可跨入下一年,請核對日期")
    if s_end >= a_start:
        raise _fail(path, text, f"calendar.spring ends on {md(s_end)}, after autumn starts ({md(a_start)})", "spring",
                    zh=f"calendar.spring 的結束日 {md(s_end)} 不早於秋季學期開始日 {md(a_start)},請核對日期")
    if a_end < a_start and a_end >= s_start:
        raise _fail(path, text, f"calendar.autumn ends on {md(a_end)} of the next year, after spring starts "
                    f"({md(s_start)})", "autumn",
                    zh=f"calendar.autumn 的結束日(次年){md(a_end)} 不早於春季學期開始日 {md(s_start)},請核對日期")


def load_rubric(path: str | Path | None = None, calendar: dict | None = None) -> Rubric:
    """The rubric at `path` (default: the county default next to this module), with calendar overrides.

    `calendar` is the configuration's [calendar.<year>] tables: {year: {"spring": (d1, d2), ...}}
    (sync.settings.Semester objects are accepted too).
    """
    path = Path(path) if path else DEFAULT_RUBRIC
    try:
        # utf-8-sig: Notepad saves UTF-8 with a byte-order mark, which TOML refuses at line 1 column 1
        text = path.read_text(encoding="utf-8-sig")
    except IsADirectoryError:
        raise ConfigError(f"rubric {path}: is a folder; give the rubric file's path",
                          f"評分細則 {path} 是一個文件夾，請給出評分細則文件的路徑") from None
    except OSError as err:
        raise ConfigError(f"rubric {path}: cannot be read ({err.strerror})",
                          f"評分細則 {path} 無法讀取（{err.strerror}）") from None
    except UnicodeDecodeError:
        raise ConfigError(f"rubric {path}: is not UTF-8 text; save it as UTF-8",
                          f"評分細則 {path} 不是 UTF-8 文本，請另存為 UTF-8 編碼") from None
    rubric = parse_rubric(text, str(path))
    if calendar:
        rubric = rubric.with_calendar(_calendar_overrides(calendar))
        _check_years_apart(rubric)
    return rubric


def _check_years_apart(rubric: Rubric) -> None:
    """A year's autumn ends before the next year's spring starts, wherever either comes from ([calendar.<year>]
    or the rubric's calendar): [calendar.2026] autumn to 2027-01-20 beside [calendar.2027] spring from 2027-01-10
    was taken, and January's drills counted in two terms (a configuration audit)."""
    for year in sorted(rubric.calendar_overrides):
        for earlier in (year - 1, year):
            autumn_end = rubric.semester(earlier, "autumn")[1]
            spring_start = rubric.semester(earlier + 1, "spring")[0]
            if autumn_end >= spring_start:
                raise ConfigError(
                    f"config calendar: the autumn term of {earlier} ends on {autumn_end}, on or after the day the spring term of "
                    f"{earlier + 1} starts ({spring_start}); check the dates of [calendar.{earlier}] and "
                    f"[calendar.{earlier + 1}]",
                    f"配置 calendar:{earlier} 年秋季學期的結束日 {autumn_end} 不早於 {earlier + 1} 年春季學期的開始日 "
                    f"{spring_start},請核對 [calendar.{earlier}] 和 [calendar.{earlier + 1}] 的日期")


def _calendar_overrides(calendar: dict) -> dict[int, dict[str, tuple[date, date]]]:
    overrides = {}
    for year, semesters in calendar.items():
        values = semesters if isinstance(semesters, dict) else {
            "spring": getattr(semesters, "spring", None), "autumn": getattr(semesters, "autumn", None)}
        entry = {}
        for which in ("spring", "autumn"):
            pair = values.get(which)
            if pair:
                start, end = pair
                if end < start:
                    raise ConfigError(f"config calendar.{year}.{which}: ends ({end}) before it starts ({start})",
                                      f"配置 calendar.{year}.{which} 的結束日 {end} 早於開始日 {start}，請核對日期")
                _check_within_year(int(year), which, start, end)
                entry[which] = (start, end)
        if "spring" in entry and "autumn" in entry and entry["spring"][1] >= entry["autumn"][0]:
            spring_end, autumn_start = entry["spring"][1], entry["autumn"][0]
            raise ConfigError(
                f"config calendar.{year}: spring ends on {spring_end}, after autumn starts ({autumn_start})",
                f"配置 calendar.{year}:春季學期結束日 {spring_end} 不早於秋季學期開始日 {autumn_start},請核對日期")
        overrides[int(year)] = entry
    return overrides


def _check_within_year(year: int, which: str, start: date, end: date) -> None:
    """The semesters of [calendar.<year>] start in that year, and only autumn runs into the next
    (rules.md): last year's dates pasted under a new year were taken as they stood, and that year's spring
    term months (March to June) vanished from every school's drills without a word (found by an audit)."""
    last_end_year = year + 1 if which == "autumn" else year
    if start.year != year:
        raise ConfigError(f"config calendar.{year}.{which} starts on {start}, not in {year}; check the year",
                          f"配置 calendar.{year}.{which} 的開始日 {start} 不在 {year} 年內,請核對年份")
    if end.year > last_end_year:
        raise ConfigError(f"config calendar.{year}.{which} ends on {end}, after {last_end_year}; check the year",
                          f"配置 calendar.{year}.{which} 的結束日 {end} 晚於 {last_end_year} 年,請核對年份")

