"""What every indicator reads: the schools, the records up to the evaluation date, and result builders.

Indicator functions take a Context and return an Outcome: one row per
registered school (ratio in [0, 1] or NaN when pending, the figures behind it
in Chinese and English, and what would raise it), plus for period-based
indicators the long table of periods behind the heatmaps.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from scoring import calendar
from scoring.rubric import Rubric
from sync import contract
from sync.sheet_frames import empty_frame

OUTCOME_COLUMNS = ["ratio", "pending", "applicable", "detail", "detail_en", "action", "action_en", "gain"]


@dataclass
class Outcome:
    frame: pd.DataFrame  # indexed by school_code, OUTCOME_COLUMNS
    periods: pd.DataFrame | None = None  # school_code, period, required, held, covered, counted


def texts(template: str, **columns) -> list[str]:
    """Format one string per school from aligned columns (Series or arrays)."""
    values = [v.tolist() if hasattr(v, "tolist") else list(v) for v in columns.values()]
    fill = _positional(template, tuple(columns)).format
    return [fill(*row) for row in zip(*values, strict=False)]


@lru_cache(maxsize=512)
def _positional(template: str, names: tuple[str, ...]) -> str:
    """`template` with its named fields ({t}, {r:.1f}) numbered in the order of `names`: a dict built per
    school for format(**row) was a tenth of a county's month-end evaluation (1,000 schools)."""
    out = []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is not None:
            name, rest = re.match(r"([^.\[]*)(.*)", field).groups()
            out.append("{" + str(names.index(name)) + rest + (f"!{conversion}" if conversion else "")
                       + (f":{spec}" if spec else "") + "}")
    return "".join(out)


class Context:
    def __init__(self, frames: dict[str, pd.DataFrame], year: int, as_of: date, rubric: Rubric, day_runs: bool = False):
        self.frames = frames
        self.year = year
        self.rubric = rubric
        self.as_of = pd.Timestamp(as_of)
        # The evaluation date is today and today is not over: a period ending today is counted (missed, so
        # far), yet a record of today still covers it, so the hints still ask for it.
        self.day_runs = bool(day_runs)
        self.year_start = pd.Timestamp(year, 1, 1)
        self.year_end = pd.Timestamp(year, 12, 31)
        self._cache: dict = {}
        self.schools = self._schools()
        self.codes = self.schools.index

    # -- who is measured -------------------------------------------------
    def _schools(self) -> pd.DataFrame:
        registry = self.frame("registry", registered_only=False)
        registry = registry.dropna(subset=["school_code"]).drop_duplicates("school_code", keep="last")
        schools = registry.set_index("school_code")[["name", "type", "township"]].copy()
        own = self.frame("school", registered_only=False).drop_duplicates("school_code", keep="last")
        boarding = own.set_index("school_code")["boarding"] if "boarding" in own else pd.Series(dtype="boolean")
        schools["boarding"] = boarding.reindex(schools.index).fillna(False).astype(bool)
        schools["kindergarten"] = schools["type"].eq(contract.KINDERGARTEN).fillna(False).astype(bool)
        schools["high_school"] = schools["type"].isin(contract.HIGH_SCHOOL_TYPES).astype(bool)
        # Submitted: the school's own records are in, on any of its sheets (a 學校概況 row refused for
        # a typo does not make a scored school "not submitted").
        sent = set(own["school_code"])
        for sheet in contract.SCHOOL_SHEETS:
            if sheet.key != "school" and sheet.key in self.frames:
                sent.update(self.frames[sheet.key]["school_code"])
        schools["submitted"] = schools.index.isin(sent)
        schools.index.name = "school_code"
        return schools

    def frame(self, key: str, registered_only: bool = True) -> pd.DataFrame:
        cache_key = ("frame", key, registered_only and hasattr(self, "schools"))
        if cache_key not in self._cache:
            self._cache[cache_key] = self._frame(key, registered_only)
        return self._cache[cache_key]

    def _frame(self, key: str, registered_only: bool) -> pd.DataFrame:
        frame = self.frames.get(key)
        if frame is None:
            frame = empty_frame(key)
        if registered_only and hasattr(self, "schools"):
            frame = frame[frame["school_code"].isin(self.schools.index)]
        return frame

    # -- records up to the evaluation date --------------------------------
    def dated(self, key: str, column: str = "date", in_year: bool = True) -> pd.DataFrame:
        """Records dated on or before the evaluation date (and in the year unless in_year=False)."""
        cache_key = ("dated", key, column, in_year)
        if cache_key not in self._cache:
            self._cache[cache_key] = self._dated(key, column, in_year)
        return self._cache[cache_key]

    def _dated(self, key: str, column: str, in_year: bool) -> pd.DataFrame:
        frame = self.frame(key)
        when = frame[column]
        keep = when.notna() & (when <= self.as_of)
        if in_year:
            keep &= when >= self.year_start
        return frame[keep.fillna(False).astype(bool)]

    def on_duty(self, key: str) -> pd.DataFrame:
        """People counted on the evaluation date: from start date up to and including end date."""
        cache_key = ("on_duty", key)
        if cache_key not in self._cache:  # the guards on duty are read by five indicators
            self._cache[cache_key] = self._on_duty(key)
        return self._cache[cache_key]

    def _on_duty(self, key: str) -> pd.DataFrame:
        frame = self.frame(key)
        start, end = frame["start_date"], frame["end_date"]
        keep = start.notna() & (start <= self.as_of) & (end.isna() | (end >= self.as_of))
        return frame[keep.fillna(False).astype(bool)]

    def checklist_done(self, *items: str) -> pd.Series:
        """True for schools that marked every one of `items` done (dated on or before the evaluation date)."""
        done = self._done_items()
        result = pd.Series(True, index=self.codes)
        for item in items:
            result &= self.codes.isin(done.get(item, set()))
        return result

    def _done_items(self) -> dict[str, set]:
        """Per checklist item, the schools that marked it done: read once per evaluation, not once for each
        of the sixteen items the indicators ask about."""
        if "done_items" not in self._cache:
            rows = self.frame("checklist")
            keep = rows["done"].fillna(False).astype(bool) & (rows["date"].isna() | (rows["date"] <= self.as_of))
            done: dict[str, set] = {}
            for code, item in zip(rows.loc[keep, "school_code"], rows.loc[keep, "item"], strict=True):
                done.setdefault(item, set()).add(code)
            self._cache["done_items"] = done
        return self._cache["done_items"]

    def per_school(self, series: pd.Series, fill=0) -> pd.Series:
        return series.reindex(self.codes, fill_value=fill)

    def count_per_school(self, school_codes: pd.Series) -> pd.Series:
        """How many times each school's code appears in `school_codes` (one per record), 0 where none: what
        per_school(records.groupby("school_code").size()) gives, counted by position (a group-by costs
        about a millisecond a call whatever the county's size, and an evaluation counts some fifty times)."""
        at = self.codes.get_indexer(school_codes)
        return pd.Series(np.bincount(at[at >= 0], minlength=len(self.codes)), index=self.codes)

    def campuses(self) -> pd.DataFrame:
        """One row per campus: a campus sent twice (by the workbook and a mapped query, or with a stray
        space) is one campus, its last row kept, for the head counts (B2, C6) as for the guards (E1)."""
        if "campuses" not in self._cache:
            rows = self.frame("campuses")
            names = rows["campus"].astype("object").fillna("").astype(str).str.strip()
            self._cache["campuses"] = rows.assign(campus=names).drop_duplicates(["school_code", "campus"], keep="last")
        return self._cache["campuses"]

    def staff_total(self) -> pd.Series:
        campuses = self.campuses()
        return self.per_school(campuses.groupby("school_code")["staff"].sum().astype(float))

    def students_total(self) -> pd.Series:
        campuses = self.campuses()
        return self.per_school(campuses.groupby("school_code")["students"].sum().astype(float))

    # -- calendar ------------------------------------------------------------
    def term_months(self) -> pd.DataFrame:
        return self._calendar("months", calendar.term_months)

    def term_weeks(self) -> pd.DataFrame:
        return self._calendar("weeks", calendar.term_weeks)

    def term_quarters(self) -> pd.DataFrame:
        return self._calendar("quarters", calendar.term_quarters)

    def semesters(self) -> pd.DataFrame:
        return self._calendar("semesters", calendar.semesters)

    def _calendar(self, name, fn) -> pd.DataFrame:
        # the calendar depends only on the rubric and the year: keep it across evaluations (trends)
        cache = self.rubric.__dict__.setdefault("_periods", {})
        if (name, self.year) not in cache:
            cache[(name, self.year)] = fn(self.rubric, self.year)
        return cache[(name, self.year)]

    # -- results ---------------------------------------------------------------
    def outcome(self, ratio, detail, detail_en, action, action_en, gain=None, pending=None,
                applicable=None, periods=None) -> Outcome:
        # numpy's clip, not the Series': the same values (NaN kept), at a hundredth of the cost per call
        ratio = np.clip(np.asarray(self._aligned(ratio), dtype=float), 0, 1)
        # Every column given whole, as arrays: a frame left to broadcast scalars and align Series took twice
        # as long, and an evaluation makes forty.
        frame = pd.DataFrame({
            "ratio": ratio,
            "pending": self._column(pending, False, bool),
            "applicable": self._column(applicable, True, bool),
            "detail": self._column(detail, "", object),
            "detail_en": self._column(detail_en, "", object),
            "action": self._column(action, "", object),
            "action_en": self._column(action_en, "", object),
            "gain": (1 - ratio) if gain is None else self._column(gain, np.nan, float),
        }, index=self.codes)
        return Outcome(frame, periods)

    def _aligned(self, value):
        """A Series in the order of the schools evaluated (as a frame built from it would align it)."""
        if isinstance(value, pd.Series) and not value.index.equals(self.codes):
            return value.reindex(self.codes)
        return value

    def _column(self, value, default, dtype) -> np.ndarray:
        """One value per school: a scalar (or None: `default`) repeated, else the values in school order."""
        values = np.asarray(self._aligned(default if value is None else value))
        if values.ndim == 0:
            return np.full(len(self.codes), values.item(), dtype=dtype)
        return values.astype(bool) if dtype is bool else values

    def yes_no(self, done: pd.Series, what: str, what_en: str, action: str, action_en: str) -> Outcome:
        """A checklist duty: 1 when done, else 0 (a missing item counts as not done)."""
        done = done.reindex(self.codes).fillna(False).astype(bool)
        detail = np.where(done, f"{what}：已完成", f"{what}：未完成或未填報")
        detail_en = np.where(done, f"{what_en}: done", f"{what_en}: not done or not reported")
        return self.outcome(done.astype(float), detail, detail_en, action, action_en)

    def share(self, passed: pd.Series, total: pd.Series, unit: str, unit_en: str, what: str, what_en: str,
              action: str, action_en: str, none: str, none_en: str, held_events: bool = False) -> Outcome:
        """Share of records that pass; nothing to count gives 0 (missing work is never full marks).

        held_events: the records are of things done that cannot be mended afterwards (a parent meeting
        held, a drill without its plan or its sign-in sheet): what raises the share is the next one done
        right, and that is the gain the hint promises, not the whole share still missing."""
        passed = self.per_school(passed).astype(int)
        total = self.per_school(total).astype(int)
        ratio = np.where(total > 0, passed / total.where(total > 0, 1), 0.0)
        detail = np.where(total > 0, texts("{t}{u}中{p}{m}" + what, t=total, p=passed, u=[unit] * len(total),
                                           m=[unit[0]] * len(total)), none)
        detail_en = np.where(total > 0, texts("{p} of {t} {u} " + what_en, t=total, p=passed,
                                              u=[unit_en] * len(total)), none_en)
        if held_events:
            gain = np.where(total > 0, (passed + 1) / (total + 1) - ratio, 1.0)
        else:
            gain = np.where(total > 0, 1 - ratio, 1.0)
        return self.outcome(ratio, detail, detail_en, action, action_en, gain=gain)

    def over_periods(self, long: pd.DataFrame, label: str, label_en: str, action: str, action_en: str,
                     period_en: dict[str, str] | None = None) -> Outcome:
        """A duty measured over periods (term weeks/months, quarters, semesters, themes).

        `long` has school_code, period, end, required, held, score (0..1, covered at 1), and may have
        figure / figure_en: what a period partly met earns (1/2次), shown beside it in the missing list.
        A period that ends after the evaluation date counts only if already covered;
        31 Dec closes every period of the year.  No countable period: pending.
        """
        # Counted by each row's school position, as count_per_school: the group-bys this took (a dozen a call,
        # eight calls an evaluation) were a third of an evaluation of a small county.
        n = len(self.codes)
        at = self.codes.get_indexer(long["school_code"])
        end = np.minimum(pd.to_datetime(long["end"]).to_numpy(), self.year_end.to_datetime64())
        score = long["score"].to_numpy(dtype=float)
        covered = score >= 1
        counted = covered | (end <= self.as_of.to_datetime64())
        ours = at >= 0
        n_periods = np.bincount(at[ours], minlength=n)
        counted_at = at[counted & ours]
        n_counted = np.bincount(counted_at, minlength=n)
        n_covered = np.bincount(at[counted & covered & ours], minlength=n)
        score_sum = np.bincount(counted_at, weights=np.nan_to_num(score[counted & ours]), minlength=n)
        english = _period_in_english(period_en or {})
        # rules.md: the detail gives "the figures behind" the points; a period partly met says how far
        period_of = long["period"].tolist()
        figures = _texts_or_blank(long["figure"]) if "figure" in long else None
        figures_en = _texts_or_blank(long["figure_en"]) if "figure" in long else None
        missing_zh: list[list[str]] = [[] for _ in range(n)]
        missing_en: list[list[str]] = [[] for _ in range(n)]
        for row in np.flatnonzero(counted & ~covered & ours).tolist():
            zh, en = _period_in_chinese(period_of[row]), english(period_of[row])
            if figures is not None and figures[row] != "":
                zh, en = f"{zh}（{figures[row]}）", f"{en} ({figures_en[row]})"
            missing_zh[at[row]].append(zh)
            missing_en[at[row]].append(en)
        # pending or all counted periods covered: point at the next period still open: the one that ends
        # first (C5's themes come in the rubric's order, not their windows'), or where `long` says when each
        # can first be met (C5's "opens"), the one that can be met soonest
        # On its last day a period is counted but still open: a drill held on 30 Nov covers November (the
        # hint named December on 30 Nov, and nothing at all on the running year's 31 Dec; an audit).
        still_open = ~counted | (self.day_runs & (end == self.as_of.to_datetime64()))
        open_rows = np.flatnonzero(~covered & still_open & ours)
        opens = pd.to_datetime(long["opens"]).to_numpy() if "opens" in long else end
        open_rows = open_rows[np.lexsort((end[open_rows], opens[open_rows]))]
        first_school, first_at = np.unique(at[open_rows], return_index=True)
        next_row = np.full(n, -1)
        next_row[first_school] = open_rows[first_at]
        next_open = np.array([period_of[row] if row >= 0 else "" for row in next_row.tolist()], dtype=object)
        # the part of its share the next open period does not earn yet (a semester with one lecture of two
        # already earns half)
        next_score = np.zeros(n)
        next_score[first_school] = np.nan_to_num(score[open_rows[first_at]])
        pending = (n_counted == 0) & (n_periods > 0)
        # no period at all (e.g. no guard employed for E7): nothing to measure, ratio 0
        ratio = np.where(pending, np.nan, score_sum / np.maximum(n_counted, 1))
        miss_zh = ["；缺：" + "、".join(parts) if parts else "" for parts in missing_zh]
        miss_en = ["; missing: " + ", ".join(parts) if parts else "" for parts in missing_en]
        detail = np.where(pending | (n_periods == 0), np.where(pending, f"尚無可計的{label}（均未結束）", f"無應計的{label}"),
                          texts("{c}個應計{l}中{v}個達標{m}", c=n_counted, v=n_covered, l=[label] * n, m=miss_zh))
        detail_en = np.where(pending | (n_periods == 0), np.where(pending, f"no {label_en} can be counted yet (none has ended)",
                                                                 f"no {label_en} to count"),
                             texts("{v} of {c} {l} covered{m}", c=n_counted, v=n_covered, l=[label_en] * n, m=miss_en))
        # What would raise it: the next period still open, and what meeting it is worth to the year's
        # result, where each period of the year is 1/n on 31 Dec (the year-to-date gain said +0.1 for a
        # December drill worth 0.9, and nothing where every month so far was met).  A period that is over
        # can no longer be met: no hint promises it (it pointed at last March: only a record back-dated
        # into it would have earned the points; an audit), and on 31 Dec no period hint is left.
        has_next = next_open != ""
        act = np.where(has_next, texts(action, p=[_period_in_chinese(p) for p in next_open]), "")
        act_en = np.where(has_next, texts(action_en, p=[english(p) for p in next_open]), "")
        gain = np.where(has_next, (1 - next_score) / np.maximum(n_periods, 1), np.nan)
        periods = long[["school_code", "period", "required", "held"]].assign(covered=covered, counted=counted)
        return self.outcome(ratio, detail, detail_en, act, act_en, gain=gain, pending=pending, periods=periods)

    def cross(self, periods: pd.DataFrame, codes: pd.Index | None = None) -> pd.DataFrame:
        """Every school (or `codes`) paired with every period."""
        codes = self.codes if codes is None else codes
        left = pd.DataFrame({"school_code": codes.to_numpy(dtype=object)})
        return left.merge(periods, how="cross")

    def cross_counts(self, periods: pd.DataFrame, chosen: list[pd.Series]) -> pd.DataFrame:
        """cross(periods) with `held`: for each period in turn, how many of the school codes `chosen` gives for
        it are each school's (its records in that period).  Counted by position, as count_per_school: a
        group-by per period and a merge cost milliseconds a call whatever the county's size."""
        long = self.cross(periods)
        counts = [self.count_per_school(codes).to_numpy() for codes in chosen]
        # cross() pairs each school with every period in turn: school by school, period by period
        long["held"] = np.column_stack(counts).reshape(-1) if counts else np.zeros(len(long), dtype=int)
        return long

    def held_per_period(self, long: pd.DataFrame, counts: pd.Series, required=1, on: str = "period") -> pd.DataFrame:
        """Attach held counts (a Series indexed by (school_code, `on`)) and a 0/1 score."""
        # Placed by position in a school x period table, not merged: a two-key merge cost 7 ms a call on a
        # county of three schools (20 ms at 1,000, where this takes a fraction of it).
        keys = pd.Index(long[on].unique())
        table = np.zeros((len(self.codes), len(keys)), dtype=int)
        school_at = self.codes.get_indexer(counts.index.get_level_values(0))
        key_at = keys.get_indexer(counts.index.get_level_values(1))
        known = (school_at >= 0) & (key_at >= 0)
        table[school_at[known], key_at[known]] = counts.to_numpy()[known]
        rows_at = self.codes.get_indexer(long["school_code"])
        if (rows_at < 0).any():
            raise ValueError("held_per_period: a row of a school not evaluated (long is made by cross())")
        held = table[rows_at, keys.get_indexer(long[on])]
        return long.assign(held=held, required=required, score=(held >= np.asarray(required)).astype(float))

    def month_counts(self, records: pd.DataFrame) -> pd.Series:
        """Records per (school, month key 202603)."""
        key = records["date"].dt.year * 100 + records["date"].dt.month
        return records.assign(key=key.to_numpy()).groupby(["school_code", "key"]).size()


_SEMESTER_CODE = re.compile(r"(\d{4})-(spring|autumn)")


def _period_in_chinese(period: str) -> str:
    """A period's label for the Chinese texts: 2026-spring as 2026年春季學期 (張三（2026-autumn） as
    張三（2026年秋季學期）); months, weeks and themes as they are."""
    return _SEMESTER_CODE.sub(lambda m: f"{m[1]}年{'春季' if m[2] == 'spring' else '秋季'}學期", str(period))


def _texts_or_blank(column: pd.Series) -> list[str]:
    """A text column's values, "" for a blank (None, NaN)."""
    return ["" if value is None or value != value else str(value) for value in column.tolist()]


def _period_in_english(names: dict[str, str]):
    """A period's label for the English texts: a mapped name (a theme's English name), else the
    label with 2026-spring as "spring 2026" and full-width brackets as ASCII."""
    def english(period: str) -> str:
        if period in names:
            return names[period]
        text = _SEMESTER_CODE.sub(lambda m: f"{m[2]} {m[1]}", str(period))
        return text.replace("（", " (").replace("）", ")")
    return english
