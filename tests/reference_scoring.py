"""A second reading of rules.md, written from the specification alone, to check the scoring against.

scoring/ is vectorised pandas over a whole county; this is plain Python over one school at a time, in
exact fractions, the way a person works the rules out by hand.  It was first written by an independent
audit (without reading scoring/), then given the project's two documented readings where rules.md is
silent (README "Scoring"):

- assessors mark an indicator on its published scale (C2 out of 6); where C4 does not apply and the
  other C indicators carry its points, the mark counts on that larger scale (full marks stay full);
- a period indicator with no period at all (E7 for a school without a guard) has nothing to measure:
  ratio 0, not pending.

It reads the rubric's numbers (points, themes, semesters, grade bands) from the rubric file, as data;
the guard formula is rules.md's default.  tests/test_scoring_reference.py compares the two on random
counties.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd

HIGH_SCHOOL_LEVEL = {"高中", "完全中學", "中職"}
KINDERGARTEN = "幼兒園"
KIT = ("helmet", "fork", "baton", "spray", "shield", "gloves", "vest")
FUND_USES = ("隱患整治", "安全宣傳", "應急救援", "表彰獎勵")
C_OTHERS = ("C1", "C2", "C3", "C5", "C6")


@dataclass
class Period:
    end: date
    covered: bool
    value: Fraction  # 0..1, 1 when covered


def school_records(frames: dict[str, pd.DataFrame]) -> dict[str, dict[str, list[dict]]]:
    """code -> sheet -> rows as plain dicts (dates as date, missing as None)."""
    out: dict[str, dict[str, list[dict]]] = {}
    for sheet, frame in frames.items():
        for row in _all_rows(frame):
            out.setdefault(row["school_code"], {}).setdefault(sheet, []).append(row)
    return out


def _plain(value):
    if value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


class Reading:
    """The rules of one year, evaluated on one day."""

    def __init__(self, rubric, year: int, day: date):
        self.rubric, self.year, self.day = rubric, year, day
        self.year_end = date(year, 12, 31)

    # -- the calendar (rules.md "Who is measured") ----------------------------------------------------
    def semesters_of_year(self) -> list[tuple[date, date]]:
        """The semesters that start in the year (spring and autumn)."""
        return [self.rubric.semester(self.year, which) for which in ("spring", "autumn")]

    def in_a_semester(self, day: date) -> bool:
        return any(start <= day <= end for y in (self.year - 1, self.year)
                   for start, end in (self.rubric.semester(y, w) for w in ("spring", "autumn")))

    def term_months(self) -> list[int]:
        """Calendar months with at least 14 days inside a semester."""
        months = []
        for month in range(1, 13):
            first = date(self.year, month, 1)
            days = (_month_end(self.year, month) - first).days + 1
            if sum(self.in_a_semester(first + timedelta(days=i)) for i in range(days)) >= 14:
                months.append(month)
        return months

    def term_weeks(self) -> list[date]:
        """Mondays of the ISO weeks of the year with at least 3 weekdays inside a semester."""
        weeks, monday = [], date.fromisocalendar(self.year, 1, 1)
        while monday.isocalendar()[0] == self.year:
            if sum(self.in_a_semester(monday + timedelta(days=i)) for i in range(5)) >= 3:
                weeks.append(monday)
            monday += timedelta(days=7)
        return weeks

    # -- how shares are measured ---------------------------------------------------------------------------
    def over_periods(self, periods: list[Period]) -> Fraction | None:
        """A period ending after the day counts only if covered; 31 Dec closes every period of the year.
        Nothing countable yet: pending (None); no period at all: nothing to measure, 0."""
        if not periods:
            return Fraction(0)
        counted = [p.value for p in periods if p.covered or p.end <= self.day or self.day == self.year_end]
        if not counted:
            return None
        return sum(counted, Fraction(0)) / len(counted)

    def dated(self, rows: list[dict], column: str = "date") -> list[dict]:
        """Rows dated in the year, on or before the day."""
        return [r for r in rows if r.get(column) and r[column].year == self.year and r[column] <= self.day]

    def on_duty(self, people: list[dict]) -> list[dict]:
        """Headcounts: a person counts from start date up to and including end date."""
        return [p for p in people if p.get("start_date") and p["start_date"] <= self.day
                and (p.get("end_date") is None or self.day <= p["end_date"])]

    # -- one school ----------------------------------------------------------------------------------------
    def ratios(self, school_type: str, rec: dict[str, list[dict]]) -> dict[str, Fraction | None | str]:
        day = self.day
        done: dict[str, bool] = {}
        for row in rec.get("checklist", []):
            if row.get("date") and row["date"] <= day:
                done[row["item"]] = done.get(row["item"], False) or bool(row["done"])

        def yes(*items):
            return Fraction(int(all(done.get(i, False) for i in items)))

        r: dict = {"A1": yes("安全工作領導小組"), "A2": yes("第一責任人", "直接責任人"), "A3": yes("責任清單", "風險清單"),
                   "A4": yes("文件下發全體教職工"), "B1": yes("獨立安全辦公室"), "C1": yes("安全教育納入教學計劃"),
                   "D2": yes("年度演練計劃"), "F1": yes("問題清單報局備案")}
        agreement = [a for a in rec.get("agreements", []) if a["year"] == self.year]
        r["A5"] = (min(Fraction(1), Fraction(int(agreement[0]["signed"]), int(agreement[0]["staff_total"])))
                   if agreement and agreement[0]["staff_total"] else Fraction(0))
        campuses = rec.get("campuses", [])
        students = sum(int(c["students"] or 0) for c in campuses)
        office = self.on_duty(rec.get("office_staff", []))
        needed = 3 if students >= 1000 else 2
        r["B2"] = (min(Fraction(1), Fraction(len(office), needed)) if any(o["role"] == "主任" for o in office)
                   else Fraction(0))
        r["B3"] = sum((yes(i) for i in ("醒目標牌", "安全制度上墻", "專用檔案柜", "視頻監控系統")), Fraction(0)) / 4

        education = [e for e in rec.get("education", []) if e["date"] and e["date"] <= day]
        classes = [e["date"] for e in education if e["kind"] == "安全教育課"]
        r["C2"] = self.over_periods([
            Period(monday + timedelta(days=6), held, Fraction(int(held)))
            for monday in self.term_weeks()
            for held in [any(monday <= d <= monday + timedelta(days=6) for d in classes)]])
        meetings = [e for e in education if e["kind"] == "家長會" and e["date"].year == self.year]
        r["C3"] = _share(bool(e["safety_content"]) for e in meetings)
        if school_type in HIGH_SCHOOL_LEVEL:
            lectures = []
            for start, end in self.semesters_of_year():
                n = sum(1 for e in education if e["kind"] == "安全講座" and start <= e["date"] <= end)
                lectures.append(Period(end, n >= 2, min(Fraction(1), Fraction(n, 2))))
            r["C4"] = self.over_periods(lectures)
        else:
            r["C4"] = "not applicable"
        themes = []
        for theme in self.rubric.themes:
            held = any(e["kind"] in ("安全教育課", "專題教育", "安全講座") and theme.name in (e["topic"] or "")
                       and e["date"].year == self.year and e["date"].month in theme.months for e in education)
            themes.append(Period(_month_end(self.year, max(theme.months)), held, Fraction(int(held))))
        r["C5"] = self.over_periods(themes)
        trainings = []
        for start, end in self.semesters_of_year():
            best = max((min(Fraction(1), Fraction(int(e["attendees"] or 0), int(e["expected"])))
                        for e in education if e["kind"] == "教職工培訓" and start <= e["date"] <= end
                        and e["expected"]), default=Fraction(0))
            trainings.append(Period(end, best == 1, best))
        r["C6"] = self.over_periods(trainings)

        drills = self.dated(rec.get("drills", []))
        if school_type == KINDERGARTEN:
            quarters = [(3 * q + 1, 3 * q + 2, 3 * q + 3) for q in range(4)]
            r["D1"] = self.over_periods([
                Period(_month_end(self.year, months[-1]), held, Fraction(int(held)))
                for months in quarters for held in [any(d["date"].month in months for d in drills)]])
        else:
            r["D1"] = self._monthly(d["date"] for d in drills)
        r["D3"] = _share(bool(d["has_plan"]) for d in drills)
        r["D4"] = _share(bool(d["evaluation"]) for d in drills)
        r["D5"] = _share((d["classes"] or 0) > 0 and (d["signed_classes"] or 0) >= d["classes"] for d in drills)

        guards = rec.get("guards", [])
        on_duty = self.on_duty(guards)
        r["E1"] = _share(sum(1 for g in on_duty if g["campus"] == c["campus"]) >= guards_required(c)
                         for c in campuses)
        r["E2"] = _share(bool((g.get("company") or "").strip()) for g in on_duty)
        r["E3"] = _share(day < _birthday(g["birth_date"], 56) for g in on_duty)
        r["E4"] = self._monthly(d["date"] for d in self.dated(rec.get("guard_drills", [])))
        r["E5"] = _share(bool(c["security_room"]) and bool(c["alarm"]) for c in campuses)
        r["E6"] = _share(all(bool(g.get(item)) for item in KIT) for g in on_duty)
        r["E7"] = self.over_periods(self._guard_semesters(guards, rec.get("guard_training", [])))
        r["E8"] = self._monthly(d["date"] for d in self.dated(rec.get("gate_duty", [])) if d["police"])

        hazards = self.dated(rec.get("hazards", []), "found_date")
        r["F2"] = _share(bool(h["owner"]) and h["deadline"] is not None for h in hazards) if hazards else r["F1"]
        judged = []
        for h in hazards:
            if h["closed_date"] is not None and h["closed_date"] <= day:
                judged.append(h["deadline"] is None or h["closed_date"] <= h["deadline"])
            elif h["deadline"] is not None and day > h["deadline"]:
                judged.append(False)
        r["F3"] = _share(judged) if judged else r["F1"]
        uses = {f["use"] for f in self.dated(rec.get("funds", [])) if (f["amount"] or 0) > 0}
        r["G1"] = Fraction(len(uses & set(FUND_USES)), len(FUND_USES))
        return r

    def _monthly(self, days) -> Fraction | None:
        months = {d.month for d in days}
        return self.over_periods([Period(_month_end(self.year, m), m in months, Fraction(int(m in months)))
                                  for m in self.term_months()])

    def _guard_semesters(self, guards: list[dict], training: list[dict]) -> list[Period]:
        """(guard, semester) pairs for the guards employed in a semester; covered by 3 off-duty days in it."""
        periods = []
        for start, end in self.semesters_of_year():
            employed = {g["name"] for g in guards if g["start_date"] and g["start_date"] <= min(end, self.day)
                        and (g.get("end_date") is None or g["end_date"] >= start)}
            for name in sorted(employed):
                days = set()
                for t in training:
                    if t["name"] != name or not t["off_duty"] or not t["start_date"]:
                        continue
                    first = max(start, t["start_date"])
                    last = min(end, self.day, t["end_date"] or t["start_date"])
                    days |= {first + timedelta(days=i) for i in range((last - first).days + 1)}
                periods.append(Period(end, len(days) >= 3, Fraction(int(len(days) >= 3))))
        return periods


def guards_required(campus: dict) -> int:
    """rules.md E1, rounding "full": people < 500 -> 2; up to 1000 -> 4; then + 2 per full 500; boarders
    + 2 per full 300."""
    people = int(campus["students"] or 0) + int(campus["staff"] or 0)
    need = 2 if people < 500 else 4 if people <= 1000 else 4 + 2 * ((people - 1000) // 500)
    return need + 2 * (int(campus["boarders"] or 0) // 300)


def evaluate_county(frames: dict[str, pd.DataFrame], year: int, day: date, rubric) -> list[dict]:
    """Every registered school: total, grade, rank, qualified, deduction and each indicator's points,
    max and pending; qualified schools by rank, then the disqualified."""
    reading = Reading(rubric, year, day)
    records = school_records(frames)
    findings = sorted(reading.dated(_all_rows(frames["inspections"])), key=lambda f: (f["date"], f.get("row_no") or 0))
    results = []
    for school in _all_rows(frames["registry"]):
        code = school["school_code"]
        mine = [f for f in findings if f["school_code"] == code]
        results.append(_school_result(reading, rubric, code, school["type"], records.get(code, {}), mine))
    qualified = sorted((r for r in results if r["qualified"]), key=lambda r: -r["total"])
    for r in qualified:
        r["rank"] = 1 + sum(1 for other in qualified if other["total"] > r["total"])
    disqualified = [r for r in results if not r["qualified"]]
    for r in disqualified:
        r["rank"] = None
    return qualified + disqualified


def _school_result(reading: Reading, rubric, code: str, school_type: str, rec: dict, findings: list[dict]) -> dict:
    ratios = reading.ratios(school_type, rec)
    maxima = {k: Fraction(v).limit_denominator(1000) for k, v in rubric.points.items()}
    if school_type not in HIGH_SCHOOL_LEVEL:  # C4's points spread pro rata over the other C indicators
        others = sum(maxima[k] for k in C_OTHERS)
        for k in C_OTHERS:
            maxima[k] = maxima[k] * (others + maxima["C4"]) / others
        maxima["C4"] = Fraction(0)
    indicators = {}
    for key, ratio in ratios.items():
        if ratio == "not applicable":
            indicators[key] = {"points": Fraction(0), "max": Fraction(0), "pending": False}
        elif ratio is None:
            indicators[key] = {"points": None, "max": maxima[key], "pending": True}
        else:
            indicators[key] = {"points": maxima[key] * ratio, "max": maxima[key], "pending": False}
    for f in findings:  # the latest of the year wins
        key = (f.get("indicator") or "").strip().upper()
        if key in indicators and f.get("assessed_points") is not None and ratios[key] != "not applicable":
            published = Fraction(rubric.points[key]).limit_denominator(1000)
            mark = Fraction(str(f["assessed_points"]))
            indicators[key].update(points=min(Fraction(1), max(Fraction(0), mark) / published) * indicators[key]["max"],
                                   pending=False)
    deduction = sum((Fraction(str(f["deduction"])) for f in findings if f.get("deduction")), Fraction(0))
    qualified = not any(f.get("falsification") or f.get("major_incident") for f in findings)
    counted = [i for i in indicators.values() if not i["pending"]]
    earned = sum((i["points"] for i in counted), Fraction(0))
    assessable = sum((i["max"] for i in counted), Fraction(0))
    raw = earned if assessable == 100 else (100 * earned / assessable if assessable else Fraction(0))
    exact = max(Fraction(0), raw - deduction)
    total = float((Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP))
    grade = next(g.name for g in rubric.grades if total >= g.min) if qualified else rubric.grades[-1].name
    return {"school_code": code, "total": total, "grade": grade, "qualified": qualified,
            "deduction": float(deduction), "indicators": indicators}


def _all_rows(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _share(items) -> Fraction:
    items = list(items)
    return Fraction(sum(1 for x in items if x), len(items)) if items else Fraction(0)


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _birthday(born: date, age: int) -> date:
    try:
        return born.replace(year=born.year + age)
    except ValueError:  # 29 Feb: the birthday is 1 Mar in a common year
        return date(born.year + age, 3, 1)
