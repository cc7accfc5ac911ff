"""The rubric file and the school calendar: defaults of rules.md, refusals naming the line, overrides."""

from __future__ import annotations

import re
from datetime import date

import pytest

from scoring import calendar, evaluate
from scoring.rubric import DEFAULT_RUBRIC, INDICATOR_IDS, load_rubric, parse_rubric
from sync.settings import ConfigError, load_file_config
from tests.synthetic import Records, compliant_school

TEXT = DEFAULT_RUBRIC.read_text(encoding="utf-8")


def test_default_rubric_holds_the_rules_md_points_and_sums_to_100():
    rubric = load_rubric()
    assert sum(rubric.points.values()) == 100
    assert set(rubric.points) == set(INDICATOR_IDS)
    assert (rubric.points["D1"], rubric.points["E1"], rubric.points["F3"], rubric.points["G1"]) == (8, 5, 5, 5)
    assert rubric.clauses["D5"] == "4.4.4"
    assert [g.min for g in rubric.grades] == [90, 80, 60, 0]
    assert [t.name for t in rubric.themes] == ["防溺水", "防火", "交通安全"]
    assert rubric.thresholds["guards"]["rounding"] == "full"
    assert rubric.thresholds["guard_age"]["limit"] == 55


def test_points_not_adding_up_to_100_are_refused_naming_the_line():
    bad = TEXT.replace("G1 = { points = 5,", "G1 = { points = 6,")
    with pytest.raises(ConfigError) as err:
        parse_rubric(bad, "mine.toml")
    line = next(n for n, text in enumerate(bad.splitlines(), 1) if text.startswith("[indicators]"))
    assert "add up to 101" in str(err.value) and f"mine.toml, line {line}" in str(err.value)


def test_unknown_indicator_is_refused_naming_its_line():
    bad = TEXT.replace('G1 = { points = 5, clause = "6.4" }', 'G1 = { points = 4, clause = "6.4" }\n'
                       'H1 = { points = 1, clause = "9.9" }')
    with pytest.raises(ConfigError) as err:
        parse_rubric(bad, "mine.toml")
    line = next(n for n, text in enumerate(bad.splitlines(), 1) if text.startswith("H1 ="))
    assert "unknown indicator 'H1'" in str(err.value) and f"line {line}" in str(err.value)


def test_bad_rounding_is_refused_naming_its_line():
    bad = TEXT.replace('rounding = "full"', 'rounding = "half"')
    with pytest.raises(ConfigError, match=r"line \d+: thresholds.guards.rounding"):
        parse_rubric(bad, "mine.toml")


def test_bureau_rubric_through_safeschool_config_changes_points(tmp_path, monkeypatch):
    mine = tmp_path / "rubric.toml"
    mine.write_text(TEXT.replace("G1 = { points = 5,", "G1 = { points = 3,")
                    .replace("F3 = { points = 5,", "F3 = { points = 7,"), encoding="utf-8")
    cfg = tmp_path / "safeschool.toml"
    cfg.write_text('rubric = "rubric.toml"\n[calendar.2026]\nspring = [2026-02-01, 2026-07-20]\n', encoding="utf-8")
    monkeypatch.setenv("SAFESCHOOL_CONFIG", str(cfg))
    from sync import settings
    from sync.settings import configured_rubric

    settings.reset_caches()
    rubric = configured_rubric()
    assert rubric.points["G1"] == 3 and rubric.points["F3"] == 7
    assert rubric.semester(2026, "spring") == (date(2026, 2, 1), date(2026, 7, 20))
    assert rubric.semester(2027, "spring") == (date(2027, 2, 20), date(2027, 7, 10))
    assert load_file_config(cfg).rubric == mine.resolve()


def test_term_months_need_14_days_inside_a_semester():
    months = calendar.term_months(load_rubric(), 2026)["period"].tolist()
    # Feb has 9 semester days (20-28), Jul 10 (1-10): neither is a term month; January has 20
    assert months == ["2026-01", "2026-03", "2026-04", "2026-05", "2026-06", "2026-09", "2026-10", "2026-11",
                      "2026-12"]


def _without_term_table(text: str) -> str:
    start = text.index("[thresholds.term]")
    end = text.index("\n[", start + 1)
    return text[:start] + text[end + 1:]


def test_a_bureaus_rubric_written_before_the_term_table_counts_term_months_as_the_default():
    """rules.md "Who is measured": 14 days make a term month, 3 weekdays a term week; a county's own copy
    of the rubric from before [thresholds.term] existed keeps those, read from the default rubric."""
    older = parse_rubric(_without_term_table(TEXT), "mine.toml")
    assert older.thresholds["term"] == load_rubric().thresholds["term"]
    assert calendar.term_months(older, 2026).equals(calendar.term_months(load_rubric(), 2026))


def test_a_rubric_that_counts_a_month_of_9_school_days_makes_february_a_term_month():
    """February 2026 has 9 semester days (20-28): a term month under month_days = 9, not under 14."""
    nine = parse_rubric(TEXT.replace("month_days = 14", "month_days = 9"), "mine.toml")
    assert "2026-02" in calendar.term_months(nine, 2026)["period"].tolist()
    assert "2026-02" not in calendar.term_months(load_rubric(), 2026)["period"].tolist()


@pytest.mark.parametrize("line,says", [("month_days = 0", "must be above 0"), ("month_days = 32", "at most 31"),
                                       ("week_weekdays = 6", "at most 5")])
def test_a_term_threshold_no_period_could_meet_is_refused(line, says):
    """A month has 31 days at most, a week 5 weekdays: beyond, no period would be a term one."""
    key = line.split(" =")[0]
    default = "month_days = 14" if key == "month_days" else "week_weekdays = 3"
    with pytest.raises(ConfigError, match=says):
        parse_rubric(TEXT.replace(default, line), "mine.toml")


def test_term_weeks_need_3_weekdays_inside_a_semester():
    weeks = calendar.term_weeks(load_rubric(), 2026)["period"].tolist()
    assert "2026-W08" not in weeks  # 16-22 Feb: only Friday 20th is inside the semester
    assert "2026-W09" in weeks and "2026-W04" not in weeks  # 19-23 Jan: 2 weekdays (19, 20)
    assert "2026-W03" in weeks  # 12-16 Jan
    assert len(weeks) == 41


def test_calendar_override_per_year_changes_term_months_and_scores():
    rubric = load_rubric(calendar={2026: {"spring": (date(2026, 2, 1), date(2026, 7, 20))}})
    months = calendar.term_months(rubric, 2026)["period"].tolist()
    assert "2026-02" in months and "2026-07" in months
    rec = compliant_school(Records(), "S1", 2026, type="高中")  # drills follow the default calendar
    ev = evaluate(rec.frames(), 2026, rubric=rubric)
    d1 = ev.indicators.set_index("indicator").loc["D1"]
    assert d1["points"] == pytest.approx(8 * 9 / 11)


def test_kindergarten_quarters_overlap_a_semester():
    rubric = load_rubric(calendar={2026: {"spring": (date(2026, 2, 20), date(2026, 6, 20)),
                                          "autumn": (date(2026, 10, 8), date(2027, 1, 20))}})
    assert calendar.term_quarters(rubric, 2026)["period"].tolist() == ["2026-Q1", "2026-Q2", "2026-Q4"]


@pytest.mark.parametrize("semesters,said", [
    # last year's dates pasted under the new year: 2027's spring term months (Mar-Jun) silently vanished
    ({"spring": (date(2026, 2, 23), date(2026, 7, 3))}, "calendar.2027.spring starts on 2026-02-23, not in 2027"),
    ({"autumn": (date(2028, 9, 1), date(2029, 1, 20))}, "calendar.2027.autumn starts on 2028-09-01, not in 2027"),
    ({"spring": (date(2027, 2, 20), date(2028, 1, 10))}, "calendar.2027.spring ends on 2028-01-10"),
    ({"autumn": (date(2027, 9, 1), date(2029, 1, 20))}, "calendar.2027.autumn ends on 2029-01-20"),
    ({"spring": (date(2027, 2, 20), date(2027, 9, 10)), "autumn": (date(2027, 9, 1), date(2028, 1, 20))},
     "calendar.2027: spring ends on 2027-09-10, after autumn starts (2027-09-01)"),
])
def test_a_calendar_year_whose_semesters_lie_outside_it_is_refused(semesters, said):
    """rules.md: the semesters of a year start in it (autumn may end in the next); dates of another year under
    [calendar.2027] were taken as they stood and moved 2027's term months without a word."""
    with pytest.raises(ConfigError) as err:
        load_rubric(calendar={2027: semesters})
    assert said in str(err.value) and "2027" in err.value.zh


def test_a_threshold_left_out_of_its_table_is_called_missing():
    """A county's [thresholds.term] giving month_days alone: the other is missing, not "below 0"."""
    with pytest.raises(ConfigError, match=r"thresholds.term.week_weekdays is missing"):
        parse_rubric(TEXT.replace("week_weekdays = 3\n", ""), "mine.toml")


def test_an_edited_rubric_is_read_again_and_an_unchanged_one_is_not(tmp_path, monkeypatch):
    """The scheduler runs for months: a rubric the bureau edits counts from its next run, while the
    dashboard's pages, which ask for it on every to-do, do not parse it again each time."""
    import os

    from sync import settings
    from sync.settings import configured_rubric

    mine = tmp_path / "rubric.toml"
    mine.write_text(TEXT, encoding="utf-8")
    (tmp_path / "safeschool.toml").write_text('rubric = "rubric.toml"\n', encoding="utf-8")
    monkeypatch.setenv("SAFESCHOOL_CONFIG", str(tmp_path / "safeschool.toml"))
    settings.reset_caches()
    first = configured_rubric()
    assert configured_rubric() is first
    mine.write_text(TEXT.replace("G1 = { points = 5,", "G1 = { points = 3,")
                    .replace("F3 = { points = 5,", "F3 = { points = 7,"), encoding="utf-8")
    later = mine.stat().st_mtime_ns + 1_000_000_000
    os.utime(mine, ns=(later, later))  # saved a second later, as a person saves it
    edited = configured_rubric()
    assert (first.points["G1"], edited.points["G1"]) == (5, 3)


def test_5_4_grades_a_rubric_whose_lowest_band_does_not_start_at_0_is_refused():
    """rules.md "Grades": 優秀 >= 90, 良好 >= 80, 合格 >= 60, 不合格 < 60; a disqualified school's grade is
    不合格, the lowest band.  A bureau's rubric listing only 優秀 90, 良好 80, 合格 60 graded a total of
    50.0 合格 (the lowest band named, whatever its min), though by its own bands 50 < 60 is no 合格, and
    gave a vetoed school 合格 too.  Such a rubric is refused, naming the grades and saying how to fix it."""
    bands = TEXT.replace('[[grades]]\nname = "不合格"\nname_en = "fail"\nmin = 0\nclause = "5.4"\n', "")
    assert bands != TEXT
    with pytest.raises(ConfigError, match=r"mine.toml, line \d+: .*lowest \[\[grades\]\] band, 合格, has min = 60.*min = 0") as err:
        parse_rubric(bands, "mine.toml")
    assert "min = 0" in err.value.zh and "等次" in err.value.zh


@pytest.mark.parametrize("spring,autumn,said", [
    # a spring typed the wrong way round ran from 10 Jul to 20 Feb of the next year: March to June were
    # no term months and July to January were
    ('["07-10", "02-20"]', '["09-01", "01-20"]', "calendar.spring ends on 02-20, before it starts (07-10)"),
    ('["02-20", "09-10"]', '["09-01", "01-20"]', "calendar.spring ends on 09-10, after autumn starts (09-01)"),
    ('["02-20", "07-10"]', '["09-01", "03-01"]', "calendar.autumn ends on 03-01 of the next year, after spring starts (02-20)"),
])
def test_who_is_measured_a_rubric_calendar_with_semesters_out_of_order_is_refused(spring, autumn, said):
    """rules.md "Who is measured": two semesters a year, spring inside the year and autumn alone running
    into the next (default 02-20..07-10, 09-01..01-20).  The rubric's default calendar was taken however
    its dates ran (the configuration's [calendar.<year>] is checked so): a reversed or overlapping pair
    moved every year's term months without a word."""
    text = TEXT.replace('spring = ["02-20", "07-10"]', f"spring = {spring}").replace(
        'autumn = ["09-01", "01-20"]', f"autumn = {autumn}")
    with pytest.raises(ConfigError) as err:
        parse_rubric(text, "mine.toml")
    assert said in str(err.value)
    assert "mine.toml, line" in str(err.value) and err.value.zh


def test_4_3_5_a_rubric_without_themes_while_c5_counts_is_refused():
    """C5 (4.3.5) scores the configured themes: a rubric whose [[themes]] were misspelt ([[theme]]) or left out
    gave every school 0 of C5's points, saying no theme was due (a rubric audit)."""
    misspelt = TEXT.replace("[[themes]]", "[[theme]]")
    with pytest.raises(ConfigError, match=r"the rubric has 'theme', which the scoring does not read"):
        parse_rubric(misspelt, "mine.toml")
    with pytest.raises(ConfigError, match=r"no \[\[themes\]\] given, while C5 counts 3 points"):
        parse_rubric(_without_themes(TEXT), "mine.toml")


def _without_themes(text: str) -> str:
    """The default rubric with its [[themes]] blocks taken out whole."""
    blocks = text.split("\n\n")
    return "\n\n".join(b for b in blocks if "[[themes]]" not in b)


def test_a_rubric_without_themes_is_taken_when_c5_counts_nothing():
    moved = _without_themes(TEXT).replace("C5 = { points = 3,", "C5 = { points = 0,").replace(
        "C6 = { points = 3,", "C6 = { points = 6,")
    assert parse_rubric(moved, "mine.toml").themes == ()


@pytest.mark.parametrize("old,new,says", [
    ("per_semester = 2", "per_semester = 2.5", r"thresholds.lectures.per_semester needs a whole number, not 2.5"),
    ("limit = 55 ", "limit = 55.9 ", r"thresholds.guard_age.limit needs a whole number"),
    ("days = 3 ", "days = 2.5 ", r"thresholds.guard_training.days needs a whole number"),
    ("people_low = 500 ", "people_low = 1200 ", r"people_low \(1200\) is above people_high \(1000\)"),
    ("min = 90", "min = 101", r"\[\[grades\]\] 優秀 has min = 101"),
    ("min = 90", "min = 80", r"two \[\[grades\]\] bands have the same min \(80\)"),
    ("limit = 55 ", "limit = nan ", r"thresholds.guard_age.limit needs a number >= 0"),
    ("days = 3 ", "days = inf ", r"thresholds.guard_training.days needs a number >= 0"),
    ('name = "優秀"', 'name = "良好"', r"two \[\[grades\]\] bands have the same name \(良好\)"),
    ("[thresholds.lectures]", "[thresholds.drills]\nper_month = 2\n\n[thresholds.lectures]",
     r"\[thresholds\] has 'drills', which the scoring does not read"),
    ("per_semester = 2", "per_semester = 2\nper_year = 4", r"\[thresholds.lectures\] has 'per_year'"),
])
def test_a_rubric_value_the_scoring_would_change_or_pass_over_is_refused(old, new, says):
    """Found by a rubric audit: 2.5 lectures a semester were read as 2 (rules.md C4: min(1, lectures / 2.5)
    gave 0.8, the scoring 1), a grade band above 100 or two of one min were taken, and a table or a key
    the scoring does not read (a number rules.md does not make configurable) was passed over without a word."""
    assert old in TEXT
    with pytest.raises(ConfigError, match=says):
        parse_rubric(TEXT.replace(old, new, 1), "mine.toml")


# A figure each rubric threshold table sets, as a title could have spelt it (兩次, 55周歲, 3天).
_RUBRIC_FIGURES = re.compile(r"[0-9０-９]|[一二兩三四五六七八九十]+(?:次|天|周歲|歲|名|人)")


def test_no_indicator_title_spells_a_figure_the_rubric_sets():
    """Titles are fixed in code, the figures are the rubric's: C4 was titled 「每學期兩次安全講座」 under a rubric of
    three lectures (a rubric audit).  C2's 「一節」 a term week is rules.md's, no threshold's."""
    from scoring.registry import all_indicators

    spelt = {i: ind.title for i, ind in all_indicators().items() if _RUBRIC_FIGURES.search(ind.title)}
    assert spelt == {}
    english = {i: ind.title_en for i, ind in all_indicators().items()
               if re.search(r"\b(?:two|three|four|five|\d+)\b", ind.title_en)}
    assert english == {}


def test_a_year_calendar_pasted_into_the_rubric_is_refused_at_its_line_saying_where_it_belongs():
    """A regression audit: [calendar.2026] pasted into the rubric was reported at `version = "2026.1"` (the year
    matched there first), and did not say a year's own terms are the configuration's."""
    text = TEXT + '\n[calendar.2026]\nspring = ["02-23", "07-03"]\n'
    with pytest.raises(ConfigError) as err:
        parse_rubric(text, "county.toml")
    line = text.splitlines().index("[calendar.2026]") + 1
    assert f"county.toml, line {line}:" in str(err.value) and "SAFESCHOOL_CONFIG" in str(err.value)
    assert err.value.zh.startswith(f"評分細則 county.toml, line {line}:") and "[calendar.年份]" in err.value.zh
    with pytest.raises(ConfigError) as top:
        parse_rubric('title = "本縣"\n' + TEXT, "county.toml")
    assert "評分細則中的 title 不是評分細則的設置項" in top.value.zh and "the rubric" not in top.value.zh


def test_an_area_a_countys_rubric_leaves_out_is_named_as_the_default_names_it():
    """A county's copy without its [areas.*] tables (or one giving name_en alone): the areas were named by their
    letter, the circular headed "A A" and the dashboard took each for renamed (a regression audit)."""
    blocks = TEXT.split("\n\n")
    without_areas = "\n\n".join(b for b in blocks if not b.lstrip().startswith("[areas."))
    assert "[areas." not in without_areas
    default = parse_rubric(TEXT, "default.toml").areas
    assert parse_rubric(without_areas, "county.toml").areas == default
    only_english = TEXT.replace('[areas.D]\nname = "應急演練"\n', "[areas.D]\n")
    assert only_english != TEXT
    d = parse_rubric(only_english, "county.toml").areas["D"]
    assert (d.name, d.name_en) == ("應急演練", default["D"].name_en)


@pytest.mark.parametrize("old,new,says", [
    ('[areas.A]\nname = "責任體系"\nname_en = "Responsibility system"\nclause = "4.1"', '[areas]\nA = "責任體系"',
     r"\[areas.A\] must be a table of keys, not '責任體系'"),
    ('[[themes]]\nname = "防溺水"', '[[themes]]\nname = 5', r"each \[\[themes\]\] needs a name"),
    ('[[grades]]\nname = "優秀"', '[[grades]]\nname = 1', r"each \[\[grades\]\] needs a name and a min"),
])
def test_a_rubric_entry_of_the_wrong_kind_is_refused_as_such(old, new, says):
    """An area written as a plain value had its letters taken for unknown keys, a theme named by a number was
    taken (a topic is matched against the theme's name as text)."""
    assert old in TEXT
    with pytest.raises(ConfigError, match=says):
        parse_rubric(TEXT.replace(old, new, 1), "county.toml")


def _without_tables(text: str, prefix: str) -> str:
    """`text` without the tables whose header starts with `prefix` (each up to the next header)."""
    kept, skipping = [], False
    for line in text.splitlines():
        if line.startswith("["):
            skipping = line.startswith(prefix)
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


@pytest.mark.parametrize("prefix,written", [
    ("[areas", 'areas = "x"'), ("[areas", "areas = [1]"), ("[areas", 'areas = ""'),
    ("[thresholds", 'thresholds = "x"'), ("[thresholds", "thresholds = [1, 2]"),
])
def test_areas_or_thresholds_written_as_a_plain_value_are_refused_in_both_languages(prefix, written):
    """A config audit: `areas = "x"` or `thresholds = [1, 2]` at the top of a county's rubric ended every command
    that scores in a Python traceback (AttributeError, TypeError) rather than a line to correct."""
    text = _without_tables(TEXT, prefix).replace("version =", f"{written}\nversion =", 1)
    with pytest.raises(ConfigError) as err:
        parse_rubric(text, "county.toml")
    assert "must be a table of keys" in str(err.value) and "應為一個設置表" in err.value.zh


def test_a_misspelt_key_of_an_indicator_is_refused_rather_than_its_clause_dropped():
    """A config audit: `A1 = { points = 3, cluase = "4.1" }` was taken, and the clause the circular cites for A1
    silently dropped (areas and thresholds already refused a key they do not read)."""
    text = TEXT.replace('A1 = { points = 3, clause = "4.1" }', 'A1 = { points = 3, cluase = "4.1" }')
    assert text != TEXT
    with pytest.raises(ConfigError, match=r"indicators.A1 has 'cluase', which the scoring does not read"):
        parse_rubric(text, "county.toml")


def test_5_4_grade_bands_whose_mins_are_out_of_order_are_refused_not_re_sorted():
    """A config audit: 優秀 min 50 listed above 良好 min 80 was accepted and sorted by min, so a total of 55 was
    graded 優秀 and 95 良好.  Which the bureau meant cannot be told: refused.  Bands listed worst first, in
    order, are still taken."""
    disordered = TEXT.replace("min = 90", "min = 50", 1)
    assert disordered != TEXT
    with pytest.raises(ConfigError) as err:
        parse_rubric(disordered, "county.toml")
    assert "not in order of their min (優秀 50, 良好 80, 合格 60, 不合格 0)" in str(err.value)
    assert "未按順序排列" in err.value.zh
    blocks = TEXT.split("[[grades]]")
    worst_first = blocks[0] + "".join("[[grades]]" + b.rstrip("\n") + "\n\n" for b in reversed(blocks[1:]))
    assert [g.name for g in parse_rubric(worst_first, "county.toml").grades] == ["優秀", "良好", "合格", "不合格"]


def test_the_rubric_errors_a_bureau_makes_most_are_said_in_chinese_too():
    """A config audit: points adding up to 101, a missing or unknown indicator were said in English only (the
    Chinese half of the CLI's line read just 配置有誤)."""
    cases = [
        (TEXT.replace("A1 = { points = 3,", "A1 = { points = 4,", 1), "各指標分值合計 101 分，應為 100 分"),
        (TEXT.replace('A1 = { points = 3, clause = "4.1" }\n', "", 1), "缺少指標 A1"),
        (TEXT.replace("A1 = {", "Z9 = {", 1), "沒有指標 Z9"),
        (TEXT.replace("A1 = { points = 3,", "A1 = { points = -3,", 1), "須為不小於 0 的數"),
    ]
    for text, said in cases:
        assert text != TEXT
        with pytest.raises(ConfigError) as err:
            parse_rubric(text, "county.toml")
        assert err.value.zh and said in err.value.zh, (said, err.value.zh)


def test_a_rubric_saved_by_notepad_with_a_byte_order_mark_is_read(tmp_path):
    """A config audit: UTF-8 with a BOM (Notepad's) was 'not valid TOML (Invalid statement at line 1, column 1)'."""
    path = tmp_path / "county.toml"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    assert load_rubric(path).points == parse_rubric(TEXT).points


@pytest.mark.parametrize("calendar", [
    {2026: {"autumn": (date(2026, 9, 1), date(2027, 1, 20))}, 2027: {"spring": (date(2027, 1, 10), date(2027, 7, 3))}},
    {2026: {"autumn": (date(2026, 9, 1), date(2027, 3, 1))}},  # into the rubric's own 2027 spring (02-20)
])
def test_a_years_autumn_running_into_the_next_years_spring_is_refused(calendar):
    """A configuration audit: [calendar.2026] autumn to 2027-01-20 and [calendar.2027] spring from 2027-01-10 were
    both taken, and a January drill counted in two terms."""
    with pytest.raises(ConfigError, match="the autumn term of 2026 ends on") as err:
        load_rubric(None, calendar)
    assert "不早於 2027 年春季學期的開始日" in err.value.zh


def test_a_calendar_of_years_that_follow_each_other_is_taken():
    calendar = {2026: {"autumn": (date(2026, 9, 1), date(2027, 1, 20))},
                2027: {"spring": (date(2027, 2, 20), date(2027, 7, 3))}}
    assert load_rubric(None, calendar).semester(2027, "spring")[0] == date(2027, 2, 20)
