"""Every indicator of rules.md, with points worked out by hand (clause id in each test name).

Each test starts from a school that meets every duty in 2026 (tests.synthetic.compliant_school,
full marks) and breaks one thing.  Default 2026 calendar: spring 02-20..07-10, autumn 09-01..01-20;
term months 2026-01, 03, 04, 05, 06, 09, 10, 11, 12 (9); 41 term weeks.  A high-school type keeps
rubric maxima (no C4 redistribution), so most tests use 高中 where C matters.
"""

from __future__ import annotations

from datetime import date

import pytest

from scoring import evaluate
from scoring.guards import guards_required
from tests.synthetic import Records, compliant_school

Y = 2026


def school(type_="高中", code="S1", **kw) -> Records:
    return compliant_school(Records(), code, Y, type=type_, **kw)


def result(rec: Records, ind: str, code="S1", as_of=None):
    ev = evaluate(rec.frames(), Y, as_of)
    rows = ev.indicators[(ev.indicators["school_code"] == code) & (ev.indicators["indicator"] == ind)]
    return rows.iloc[0]


def pts(rec, ind, code="S1", as_of=None):
    return result(rec, ind, code, as_of)["points"]


def total(rec, code="S1", as_of=None):
    ev = evaluate(rec.frames(), Y, as_of)
    return ev.schools.set_index("school_code").loc[code]


def test_compliant_school_scores_full_marks_in_every_type():
    rec = Records()
    for n, type_ in enumerate(("幼兒園", "小學", "初中", "九年一貫制", "高中", "完全中學", "中職")):
        compliant_school(rec, f"S{n}", Y, type=type_)
    ev = evaluate(rec.frames(), Y)
    assert ev.schools["total"].tolist() == [100.0] * 7
    assert set(ev.schools["grade"]) == {"優秀"}


# ---- A responsibility (4.1) -------------------------------------------------------

@pytest.mark.parametrize("ind,item,full", [("A1", "安全工作領導小組", 3), ("A2", "直接責任人", 3),
                                           ("A3", "風險清單", 3), ("A4", "文件下發全體教職工", 2)])
def test_4_1_checklist_item_missing_scores_zero(ind, item, full):
    rec = school()
    assert pts(rec, ind) == full
    rec.remove("checklist", "S1", item=item)
    assert pts(rec, ind) == 0


def test_4_1_a2_item_marked_not_done_scores_zero():
    rec = school().remove("checklist", "S1", item="第一責任人").add("checklist", "S1", item="第一責任人", done=False)
    assert pts(rec, "A2") == 0


def test_4_1_a2_the_detail_names_which_of_the_two_persons_is_missing():
    """A2 needs both; the school sees which one it lacks (rules.md: the figures behind the points)."""
    row = result(school().remove("checklist", "S1", item="直接責任人"), "A2")
    assert row["points"] == 0 and row["detail"] == "第一責任人：已完成；直接責任人：未完成或未填報"
    assert row["detail_en"] == "first responsible person: done; direct responsible person: not done or not reported"


@pytest.mark.parametrize("missing, hint", [("直接責任人", "明確分管副校長為直接責任人"), ("第一責任人", "明確校長為第一責任人"),
                                           ("風險清單", "建立風險清單")])
def test_4_1_a2_a3_what_would_raise_the_score_asks_for_the_missing_item_alone(missing, hint):
    """rules.md "what would raise the score": with one of the two items done, the advice asks for the other
    (a walk of the school page: it asked for both, the one done too).  Its gain is the whole indicator."""
    row = result(school().remove("checklist", "S1", item=missing), "A3" if missing == "風險清單" else "A2")
    assert row["points"] == 0 and row["hint"].startswith(hint) and "、" not in row["hint"].split("：")[0]
    assert row["gain"] == 1


def test_4_1_a5_agreements_pro_rata():
    rec = school().remove("agreements", "S1").add("agreements", "S1", year=Y, staff_total=50, signed=45)
    assert pts(rec, "A5") == pytest.approx(4 * 45 / 50)


def test_4_1_a5_only_the_evaluated_years_row_counts():
    rec = school().remove("agreements", "S1").add("agreements", "S1", year=Y - 1, staff_total=50, signed=50)
    assert pts(rec, "A5") == 0


# ---- B safety office (4.2) ----------------------------------------------------------

def test_4_2_1_b1_office_room():
    assert pts(school().remove("checklist", "S1", item="獨立安全辦公室"), "B1") == 0


def test_4_2_2_b2_999_students_need_two():
    rec = school(students=999)
    assert pts(rec, "B2") == 4  # director + one staff


def test_4_2_2_b2_1000_students_need_three():
    rec = school(students=1000).remove("office_staff", "S1", name="趙幹事")
    assert pts(rec, "B2") == pytest.approx(4 * 2 / 3)
    assert "應配3人" in result(rec, "B2")["detail"]


def test_4_2_2_b2_no_director_scores_zero_whatever_the_headcount():
    rec = school().remove("office_staff", "S1", name="王主任")
    for n in range(3):
        rec.add("office_staff", "S1", name=f"幹事{n}", role="工作人員", start_date=date(2020, 1, 1))
    assert pts(rec, "B2") == 0


def test_4_2_2_b2_staff_who_left_before_the_evaluation_date_do_not_count():
    rec = school().remove("office_staff", "S1", name="李幹事")
    rec.add("office_staff", "S1", name="李幹事", role="工作人員", start_date=date(2020, 1, 1), end_date=date(Y, 12, 30))
    assert pts(rec, "B2") == pytest.approx(2.0)
    # counted up to and including the end date
    assert pts(rec, "B2", as_of=date(Y, 12, 30)) == 4


def test_4_2_3_b3_three_of_four_fittings():
    rec = school().remove("checklist", "S1", item="視頻監控系統")
    assert pts(rec, "B3") == pytest.approx(2.25)
    assert "視頻監控系統" in result(rec, "B3")["detail"]


# ---- C education (4.3) ------------------------------------------------------------------

def test_4_3_1_c1_teaching_plan():
    assert pts(school().remove("checklist", "S1", item="安全教育納入教學計劃"), "C1") == 0


def test_4_3_2_c2_share_of_term_weeks():
    rec = school().remove("education", "S1", kind="安全教育課", date=date(Y, 3, 4))  # 2026-W10
    rec.remove("education", "S1", kind="安全教育課", date=date(Y, 11, 4))  # 2026-W45
    row = result(rec, "C2")
    assert row["points"] == pytest.approx(6 * 39 / 41)
    assert "2026-W10" in row["detail"] and "2026-W45" in row["detail"]


def test_4_3_2_c2_kindergartens_also_need_a_weekly_class():
    rec = compliant_school(Records(), "K1", Y, type="幼兒園").remove("education", "K1", kind="安全教育課",
                                                                       date=date(Y, 3, 4))
    # C4 does not apply: C2's 6 points grow to 6 * 20 / 17
    assert pts(rec, "C2", "K1") == pytest.approx(6 * 20 / 17 * 40 / 41)


def test_4_3_3_c3_share_of_parent_meetings_with_safety_content():
    rec = school().add("education", "S1", date=date(Y, 5, 6), kind="家長會", safety_content=False)
    assert pts(rec, "C3") == pytest.approx(3 * 2 / 3)


def test_4_3_3_c3_no_meeting_scores_zero():
    rec = school().remove("education", "S1", kind="家長會")
    assert pts(rec, "C3") == 0


def test_4_3_4_c4_lectures_per_semester_mean_of_min_one():
    rec = school().remove("education", "S1", kind="安全講座", date=date(Y, 9, 28))  # autumn keeps 1 of 2
    assert pts(rec, "C4") == pytest.approx(3 * (1 + 0.5) / 2)


def test_4_3_4_c4_detail_gives_the_lectures_of_a_semester_partly_met():
    """rules.md: the detail gives the figures behind the points; autumn's 1 of 2 lectures earns half of
    its share, and the detail says so beside the semester (an audit: only "0 of 1 met" was shown)."""
    rec = school().remove("education", "S1", kind="安全講座", date=date(Y, 9, 28))
    row = result(rec, "C4")
    assert f"缺：{Y}年秋季學期（1/2次）" in row["detail"]
    assert f"missing: autumn {Y} (1 of 2)" in row["detail_en"], row["detail_en"]


def test_4_3_4_c4_not_applicable_below_high_school_points_redistributed_pro_rata():
    rec = school("初中")
    row = result(rec, "C4")
    assert row["max"] == 0 and not row["applicable"]
    ev = evaluate(rec.frames(), Y)
    c = ev.indicators[(ev.indicators["area"] == "C")].set_index("indicator")["max"]
    assert c["C2"] == pytest.approx(6 + 3 * 6 / 17)
    assert c["C1"] == pytest.approx(2 + 3 * 2 / 17)
    assert c.sum() == pytest.approx(20)


def test_4_3_4_c4_redistribution_never_free_points():
    rec = school("小學").remove("education", "S1", kind="家長會")
    assert total(rec)["total"] == pytest.approx(round(100 - 3 * 20 / 17, 1))


def test_4_3_5_c5_theme_outside_its_window_does_not_count():
    rec = school().remove("education", "S1", kind="專題教育", topic="防溺水專題")
    rec.add("education", "S1", date=date(Y, 4, 10), kind="專題教育", topic="防溺水專題")
    row = result(rec, "C5")
    assert row["points"] == pytest.approx(2)
    assert "防溺水" in row["detail"]


def test_4_3_5_c5_fire_theme_in_january_counts_within_the_year():
    rec = school().remove("education", "S1", kind="專題教育", topic="防火專題")
    rec.add("education", "S1", date=date(Y, 1, 12), kind="安全教育課", topic="冬季防火")
    assert pts(rec, "C5") == 3


def test_4_3_5_c5_a_theme_is_held_by_a_topic_in_either_script_or_with_a_stray_space():
    """A bureau's theme 防震減災 (Traditional) is held by a topic typed 防震减灾 (Simplified), and 交通安全 by
    「交通 安全教育」, as headings match in either script (found by an audit: neither counted)."""
    from scoring.rubric import DEFAULT_RUBRIC, parse_rubric

    rubric = parse_rubric(DEFAULT_RUBRIC.read_text(encoding="utf-8").replace('name = "防火"', 'name = "防震減災"'))
    rec = compliant_school(Records(), "S1", Y, type="高中", rubric=rubric)
    rec.remove("education", "S1", kind="專題教育", topic="防火專題").remove("education", "S1", topic="交通安全專題")
    rec.add("education", "S1", date=date(Y, 11, 12), kind="專題教育", topic="防震减灾演练")
    rec.add("education", "S1", date=date(Y, 9, 20), kind="安全教育課", topic="交通 安全教育")
    ev = evaluate(rec.frames(), Y, None, rubric)
    c5 = ev.indicators.set_index("indicator").loc["C5"]
    assert c5["points"] == pytest.approx(3), c5["detail"]


def test_4_3_6_c6_attendance_share_of_the_best_training():
    rec = school().remove("education", "S1", kind="教職工培訓", date=date(Y, 3, 4))
    rec.add("education", "S1", date=date(Y, 3, 4), kind="教職工培訓", attendees=40, expected=50)
    rec.add("education", "S1", date=date(Y, 4, 4), kind="教職工培訓", attendees=30, expected=50)
    assert pts(rec, "C6") == pytest.approx(3 * (0.8 + 1) / 2)


def test_4_3_6_c6_detail_gives_the_best_attendance_of_a_semester_partly_met():
    """Spring's best training had 40 of 50 staff: 80 % of its share, said beside the semester."""
    rec = school().remove("education", "S1", kind="教職工培訓", date=date(Y, 3, 4))
    rec.add("education", "S1", date=date(Y, 3, 4), kind="教職工培訓", attendees=40, expected=50)
    row = result(rec, "C6")
    assert f"{Y}年春季學期（最高出席率80%）" in row["detail"] and "(best attendance 80%)" in row["detail_en"]
    untrained = result(school().remove("education", "S1", kind="教職工培訓", date=date(Y, 9, 13)), "C6")
    assert untrained["detail"].endswith(f"缺：{Y}年秋季學期")  # nothing held: no figure to give


def test_4_4_1_on_a_periods_last_day_the_hint_asks_for_it_while_the_day_runs():
    """What would raise the score (rules.md) on the last day of a term month: a drill held today still
    covers it.  The hint named next month instead on 30 Nov, and on 31 Dec (the running year's last day)
    named nothing.  For a year that is over (evaluated on 31 Dec, today later) no period hint is left."""
    rec = school().remove("drills", "S1", date=date(Y, 11, 15)).remove("drills", "S1", date=date(Y, 12, 15))
    nov30 = evaluate(rec.frames(), Y, date(Y, 11, 30), today=date(Y, 11, 30)).indicators.set_index(
        ["school_code", "indicator"]).loc[("S1", "D1")]
    assert nov30["hint"] == f"在{Y}-11舉行一次應急演練：+0.89" and nov30["hint_en"] == f"hold a drill in {Y}-11: +0.89"
    assert nov30["points"] == pytest.approx(8 * 7 / 8)  # November is missed, as of today: the figure stands
    dec31 = evaluate(rec.frames(), Y, date(Y, 12, 31), today=date(Y, 12, 31)).indicators.set_index(
        ["school_code", "indicator"]).loc[("S1", "D1")]
    assert dec31["hint"] == f"在{Y}-12舉行一次應急演練：+0.89"  # November is over by 31 Dec (8 x 1/9)
    over = evaluate(rec.frames(), Y, date(Y, 12, 31), today=date(Y + 1, 1, 1)).indicators.set_index(
        ["school_code", "indicator"]).loc[("S1", "D1")]
    assert over["hint"] == ""


def test_4_3_6_c6_semester_without_training_is_zero():
    rec = school().remove("education", "S1", kind="教職工培訓", date=date(Y, 9, 13))
    assert pts(rec, "C6") == pytest.approx(1.5)


# ---- D drills (4.4) ----------------------------------------------------------------------

def test_4_4_1_d1_drills_in_7_of_9_term_months():
    rec = school().remove("drills", "S1", date=date(Y, 3, 15)).remove("drills", "S1", date=date(Y, 11, 15))
    rec.add("drills", "S1", date=date(Y, 4, 20), campus="本部", kind="火災", has_plan=True, evaluation="好",
            classes=3, signed_classes=3)  # a second drill in April covers no other month
    row = result(rec, "D1")
    assert row["points"] == pytest.approx(8 * 7 / 9)
    assert "9個應演練月中7個達標" in row["detail"] and "2026-03、2026-11" in row["detail"]
    assert row["hint"] == ""  # on 31 Dec every month is over: no drill can still be held in one
    assert "drills" not in row["detail_en"] and "7 of 9 term months" in row["detail_en"]
    assert row["detail_en"].endswith("; missing: 2026-03, 2026-11")  # rules.md's own wording


def test_4_4_1_the_printed_json_keeps_an_indicators_share_not_four_decimals_of_it():
    """rules.md fixes only the total at one decimal: D1 in 7 of 9 term months prints 8 x 7/9 and its
    ratio 7/9, and a 小學's C2 prints the max C4's redistribution gives it, 6 x 20/17 (found by an audit:
    6.2222, 0.7778 and 7.0588 were printed)."""
    rec = school("小學").remove("drills", "S1", date=date(Y, 3, 15)).remove("drills", "S1", date=date(Y, 11, 15))
    printed = evaluate(rec.frames(), Y).to_json()[0]
    assert printed["indicators"]["D1"]["points"] == pytest.approx(8 * 7 / 9)
    assert printed["indicators"]["D1"]["ratio"] == pytest.approx(7 / 9)
    assert printed["indicators"]["C2"]["max"] == pytest.approx(6 * 20 / 17)
    assert printed["total"] == round(100 - 8 * 2 / 9, 1)


def test_4_4_1_d1_kindergartens_drill_quarterly():
    rec = compliant_school(Records(), "K1", Y, type="幼兒園").remove("drills", "K1")
    for day in (date(Y, 1, 15), date(Y, 5, 15), date(Y, 10, 15)):
        rec.add("drills", "K1", date=day, campus="本部", kind="疏散", has_plan=True, evaluation="好", classes=3,
                signed_classes=3)
    row = result(rec, "D1", "K1")
    assert row["points"] == pytest.approx(8 * 3 / 4)
    assert "2026-Q3" in row["detail"]


def test_4_4_1_d1_a_month_still_running_counts_only_when_covered():
    rec = school().remove("drills", "S1", date=date(Y, 4, 15))
    # 20 April: January and March ended and covered, April still running and not yet covered
    assert result(rec, "D1", as_of=date(Y, 4, 20))["points"] == 8
    rec.remove("drills", "S1", date=date(Y, 1, 15))
    assert result(rec, "D1", as_of=date(Y, 4, 20))["points"] == pytest.approx(4)


def test_4_4_1_d1_covered_running_month_counts():
    rec = school()
    ev = evaluate(rec.frames(), Y, date(Y, 3, 20))  # March drill on the 15th
    periods = ev.periods[(ev.periods["indicator"] == "D1") & (ev.periods["period"] == "2026-03")].iloc[0]
    assert periods["counted"] and periods["covered"]


def test_rules_pending_indicator_and_total_over_assessable_points():
    rec = school().remove("drills", "S1", date=date(Y, 1, 15))
    ev = evaluate(rec.frames(), Y, date(Y, 1, 10))
    ind = ev.indicators.set_index("indicator")
    assert ind.loc["D1", "pending"] and ind.loc["D1", "points"] != ind.loc["D1", "points"]  # NaN
    counted = ind[~ind["pending"]]
    assert "D1" not in counted.index and "A1" in counted.index
    s = ev.schools.iloc[0]
    assert s["assessable"] == pytest.approx(counted["max"].sum())
    assert s["total"] == pytest.approx(round(100 * counted["points"].sum() / counted["max"].sum(), 1))
    obj = ev.to_json()[0]["indicators"]["D1"]
    assert obj["pending"] is True and obj["points"] is None and obj["ratio"] is None


def test_rules_a_pending_indicators_max_is_left_out_of_the_printed_json_and_of_the_total():
    """rules.md: pending, "its ratio and points are null and its max is left out"; the total is 100 x
    points earned / points assessable.  So the printed maxima that are there add up to the assessable
    points (what it will count for is the added "weight")."""
    rec = school().remove("drills", "S1", date=date(Y, 1, 15))
    printed = evaluate(rec.frames(), Y, date(Y, 1, 10)).to_json()[0]
    d1 = printed["indicators"]["D1"]
    assert (d1["pending"], d1["points"], d1["ratio"], d1["max"], d1["weight"]) == (True, None, None, None, 8.0)
    earned = sum(i["points"] for i in printed["indicators"].values() if i["points"] is not None)
    assessable = sum(i["max"] for i in printed["indicators"].values() if i["max"] is not None)
    assert printed["total"] == round(100 * earned / assessable, 1)


def test_rules_nothing_is_pending_on_31_december():
    rec = school().remove("drills", "S1").remove("guard_drills", "S1")
    ev = evaluate(rec.frames(), Y)
    assert not ev.indicators["pending"].any()


def test_4_4_1_d2_annual_plan():
    assert pts(school().remove("checklist", "S1", item="年度演練計劃"), "D2") == 0


def _drill(rec, day, **kw):
    values = dict(campus="本部", kind="疏散", has_plan=True, evaluation="好", classes=10, signed_classes=10)
    values.update(kw)
    rec.add("drills", "S1", date=day, **values)


def test_4_4_2_d3_share_of_drills_with_a_plan():
    rec = school()
    _drill(rec, date(Y, 3, 20), has_plan=False)
    assert pts(rec, "D3") == pytest.approx(3 * 9 / 10)


def test_4_4_3_d4_share_of_drills_with_an_evaluation():
    rec = school()
    _drill(rec, date(Y, 3, 20), evaluation=None)
    assert pts(rec, "D4") == pytest.approx(3 * 9 / 10)


@pytest.mark.parametrize("pending", ["待評定", "尚未評定", "暫未評定", "無評定", "未评估", "待定", "（待評定）", "［待評定］"])
def test_4_4_3_d4_a_result_cell_saying_not_evaluated_yet_is_no_result(pending):
    """4.4.3 評定結果: 「待評定」 says the drill has no result yet (a held-out county wrote so): 9 of 10."""
    rec = school()
    _drill(rec, date(Y, 3, 20), evaluation=pending)
    assert pts(rec, "D4") == pytest.approx(3 * 9 / 10)


@pytest.mark.parametrize("verdict", ["不合格", "待改進", "未達標"])
def test_4_4_3_d4_a_poor_result_is_still_a_result(verdict):
    rec = school()
    _drill(rec, date(Y, 3, 20), evaluation=verdict)
    assert pts(rec, "D4") == 3


def test_4_4_4_d5_signed_classes_must_reach_participating_classes():
    rec = school()
    _drill(rec, date(Y, 3, 20), classes=12, signed_classes=11)
    _drill(rec, date(Y, 3, 21), classes=0, signed_classes=0)
    assert pts(rec, "D5") == pytest.approx(4 * 9 / 11)


def test_4_4_2_d3_to_d5_without_drills_score_zero_not_full():
    rec = school().remove("drills", "S1")
    assert [pts(rec, i) for i in ("D3", "D4", "D5")] == [0, 0, 0]


# ---- E guards (4.5) ----------------------------------------------------------------------

@pytest.mark.parametrize("people,boarders,expected", [
    (499, 0, 2), (500, 0, 4), (1000, 0, 4), (1499, 0, 4), (1500, 0, 6), (2000, 0, 8),
    (400, 299, 2), (400, 300, 4), (400, 650, 6),
])
def test_4_5_1_e1_guard_formula_boundaries(people, boarders, expected):
    from scoring.rubric import load_rubric

    assert guards_required(load_rubric().thresholds["guards"], [people], [boarders])[0] == expected


def test_4_5_1_e1_any_part_rounding_is_configurable():
    from scoring.rubric import load_rubric

    t = {**load_rubric().thresholds["guards"], "rounding": "any"}
    assert guards_required(t, [1001, 400], [0, 301]).tolist() == [6, 2 + 4]


def test_4_5_1_e1_per_campus_with_needs_n_more():
    rec = school(students=1400, staff=100)  # 1500 people: 6 guards, the school has 2
    rec.add("campuses", "S1", campus="分校", students=100, staff=10, boarders=0, security_room=True, alarm=True)
    for name in ("甲", "乙"):
        rec.add("guards", "S1", name=name, campus="分校", birth_date=date(1980, 1, 1), company="公司",
                start_date=date(2020, 1, 1), **{k: True for k in ("helmet", "fork", "baton", "spray", "shield",
                                                                   "gloves", "vest")})
    row = result(rec, "E1")
    assert row["points"] == pytest.approx(2.5)
    assert "本部應配6人、在崗2人，尚缺4人" in row["detail"]
    assert "needs 4 more" in row["detail_en"]
    ev = evaluate(rec.frames(), Y)
    camp = {c["campus"]: c for c in ev.to_json()[0]["campuses"]}
    assert camp["本部"] == {"campus": "本部", "people": 1500, "boarders": 0, "guards_required": 6, "guards_active": 2}


def test_4_5_1_e1_and_e7_match_campus_and_guard_names_despite_stray_spaces():
    rec = school().remove("campuses", "S1")
    rec.add("campuses", "S1", campus=" 本部 ", students=400, staff=50, boarders=0, security_room=True, alarm=True)
    rec.remove("guard_training", "S1", name="陳保安").add("guard_training", "S1", name="陳保安 ",
                                                          start_date=date(Y, 3, 1), end_date=date(Y, 3, 3),
                                                          off_duty=True)
    rec.add("guard_training", "S1", name="陳保安", start_date=date(Y, 9, 10), end_date=date(Y, 9, 12), off_duty=True)
    assert (pts(rec, "E1"), pts(rec, "E7")) == (5, 2)


def test_4_5_1_e1_boarders_add_guards():
    rec = school().remove("campuses", "S1")
    rec.add("campuses", "S1", campus="本部", students=300, staff=50, boarders=300, security_room=True, alarm=True)
    assert pts(rec, "E1") == 0  # 350 people -> 2, 300 boarders -> +2: 4 needed, 2 on duty


def test_4_5_1_e2_direct_hire_is_an_empty_company():
    rec = school().remove("guards", "S1", name="陳保安")
    rec.add("guards", "S1", name="陳保安", campus="本部", birth_date=date(1980, 3, 3), company=None,
            start_date=date(2020, 1, 1), **{k: True for k in ("helmet", "fork", "baton", "spray", "shield",
                                                               "gloves", "vest")})
    assert pts(rec, "E2") == pytest.approx(1)


def _guard_born(born: date) -> Records:
    rec = school().remove("guards", "S1", name="陳保安")
    rec.add("guards", "S1", name="陳保安", campus="本部", birth_date=born, company="公司",
            start_date=date(2020, 1, 1), **{k: True for k in ("helmet", "fork", "baton", "spray", "shield",
                                                               "gloves", "vest")})
    return rec


def test_4_5_1_e3_guard_on_his_56th_birthday_is_over_55():
    assert pts(_guard_born(date(1970, 12, 31)), "E3") == pytest.approx(1)


def test_4_5_3_a_hint_that_brings_new_guards_says_they_need_their_training():
    """Replacing the guard over 55 (E3) brings a guard-semester of E7 with him: untrained, it costs E7 later,
    so the hint says so (an audit: the promised gain shrank a term later, unwarned)."""
    row = result(_guard_born(date(1970, 12, 31)), "E3")
    assert row["hint"].startswith("更換超過55周歲的保安（新保安本學期須參加3天脫產培訓）：+")
    assert "3 days' off-duty training" in row["hint_en"]


def test_4_5_1_e3_guard_the_day_before_his_56th_birthday_is_not():
    assert pts(_guard_born(date(1971, 1, 1)), "E3") == 2


def test_4_5_1_e3_age_is_taken_on_the_evaluation_date_mid_year():
    rec = _guard_born(date(1970, 6, 30))
    assert pts(rec, "E3", as_of=date(Y, 6, 29)) == 2
    assert pts(rec, "E3", as_of=date(Y, 6, 30)) == pytest.approx(1)


@pytest.mark.parametrize("limit", [55, 60])
@pytest.mark.parametrize("born", ["1964-02-29", "1965-03-01", "1966-12-31"])
def test_4_5_1_the_day_a_guard_is_first_over_the_limit_is_the_day_e3_first_counts_him_over(limit, born):
    """The to-do list warns of the day scoring.guards.first_day_over_age gives; E3 counts by over_age.  With
    a rubric limit of 60, one born 29 Feb 1964 was over on the list on 28 Feb 2025 and not in the score (an
    architecture review): the day is 1 March in a common year, and the two agree on every day around it."""
    import pandas as pd

    from scoring.guards import first_day_over_age, over_age

    birth = pd.Series(pd.to_datetime([born]))
    first = first_day_over_age(birth, limit).iloc[0]
    for day in pd.date_range(first - pd.Timedelta(days=3), first + pd.Timedelta(days=3)):
        assert bool(over_age(birth, day, limit).iloc[0]) == (day >= first), (born, limit, day)
    if born == "1964-02-29" and limit == 60:
        assert first == pd.Timestamp("2025-03-01")


def test_4_5_1_e4_guard_drill_every_term_month():
    rec = school().remove("guard_drills", "S1", date=date(Y, 6, 15))
    assert pts(rec, "E4") == pytest.approx(2 * 8 / 9)


def test_4_5_2_e5_security_room_with_alarm_per_campus():
    rec = school().add("campuses", "S1", campus="分校", students=10, staff=2, boarders=0, security_room=True,
                       alarm=False)
    assert pts(rec, "E5") == pytest.approx(1.5)


def test_4_5_2_e6_full_kit_share():
    rec = school().remove("guards", "S1", name="陳保安")
    kit = {k: True for k in ("helmet", "fork", "baton", "spray", "shield", "gloves")}
    rec.add("guards", "S1", name="陳保安", campus="本部", birth_date=date(1980, 3, 3), company="公司",
            start_date=date(2020, 1, 1), vest=False, **kit)
    assert pts(rec, "E6") == pytest.approx(1)


def test_4_5_3_e7_three_off_duty_days_per_guard_and_semester():
    rec = school().remove("guard_training", "S1", name="陳保安", start_date=date(Y, 9, 6))
    rec.add("guard_training", "S1", name="陳保安", start_date=date(Y, 9, 6), end_date=date(Y, 9, 7), off_duty=True)
    rec.add("guard_training", "S1", name="陳保安", start_date=date(Y, 9, 20), end_date=date(Y, 9, 22), off_duty=False)
    assert pts(rec, "E7") == pytest.approx(2 * 3 / 4)


def test_4_5_4_e8_gate_duty_needs_police_present():
    rec = school().remove("gate_duty", "S1", date=date(Y, 10, 15))
    rec.add("gate_duty", "S1", date=date(Y, 10, 15), campus="本部", slot="上午", police=False)
    assert pts(rec, "E8") == pytest.approx(2 * 8 / 9)


# ---- F hazards (5.2, 5.3) -----------------------------------------------------------------

def test_5_2_f1_problem_list_filed():
    assert pts(school().remove("checklist", "S1", item="問題清單報局備案"), "F1") == 0


def test_5_2_f2_owner_and_deadline_share():
    rec = school().add("hazards", "S1", id="H2", found_date=date(Y, 5, 1), description="x", owner=None,
                       deadline=date(Y, 6, 1), closed_date=date(Y, 5, 20))
    assert pts(rec, "F2") == pytest.approx(1.5)


@pytest.mark.parametrize("owner", ["待定", "暫未明確", "未落實", "無責任人", "（待定）", "［待定］"])
def test_5_2_f2_an_owner_cell_naming_nobody_yet_is_no_owner(owner):
    """5.2 明確責任人: 「待定」 names nobody; as with an empty cell, 1 of 2 problems (1.5 of 3 points)."""
    rec = school().add("hazards", "S1", id="H2", found_date=date(Y, 5, 1), description="x", owner=owner,
                       deadline=date(Y, 6, 1), closed_date=date(Y, 5, 20))
    assert pts(rec, "F2") == pytest.approx(1.5)


def test_5_2_f2_an_owner_whose_name_merely_starts_like_those_words_is_an_owner():
    rec = school().add("hazards", "S1", id="H2", found_date=date(Y, 5, 1), description="x", owner="吳定",
                       deadline=date(Y, 6, 1), closed_date=date(Y, 5, 20))
    assert pts(rec, "F2") == 3


def _late_overdue_and_inside() -> Records:
    """H1 closed on time, H2 closed late, H3 open past its deadline, H4 open inside it."""
    rec = school()
    rec.add("hazards", "S1", id="H2", found_date=date(Y, 5, 1), description="late", owner="甲",
            deadline=date(Y, 6, 1), closed_date=date(Y, 6, 2))
    rec.add("hazards", "S1", id="H3", found_date=date(Y, 5, 1), description="overdue", owner="甲",
            deadline=date(Y, 7, 1))
    rec.add("hazards", "S1", id="H4", found_date=date(Y, 12, 1), description="inside", owner="甲",
            deadline=date(Y + 1, 1, 31))
    return rec


def test_5_3_f3_late_and_overdue_fail_open_inside_deadline_not_counted():
    rec = _late_overdue_and_inside()
    assert pts(rec, "F3") == pytest.approx(5 / 3)


def test_5_3_f3_the_hint_promises_only_what_closing_the_problems_still_in_time_brings():
    """What would raise F3 (rules.md, what a school must see): a problem closed late or open past its
    deadline has failed for good; closing H4 by its deadline makes 2 of 4, 5 x (2/4 - 1/3) = +0.83.  With
    nothing left in time, no hint promises points (found by an audit: +3.3 was promised)."""
    rec = _late_overdue_and_inside()
    assert result(rec, "F3")["hint"] == "按期完成隱患整改並銷號：+0.83"
    rec.remove("hazards", "S1", id="H4")
    assert result(rec, "F3")["hint"] == "" and result(rec, "F3")["gain_points"] != result(rec, "F3")["gain_points"]


def test_4_4_2_d3_a_drill_held_without_its_plan_stays_so_the_hint_promises_the_next_drills_share():
    """A plan made after the drill is no plan beforehand: with 8 of 9 drills planned, the next drill with
    its plan makes 9 of 10, 3 x (9/10 - 8/9) = +0.03, not the whole missing 3 x 1/9 = +0.33."""
    rec = school()
    rec.remove("drills", "S1", date=date(Y, 3, 15))
    rec.add("drills", "S1", date=date(Y, 3, 15), campus="本部", kind="疏散", has_plan=False, evaluation="好",
            classes=3, signed_classes=3)
    row = result(rec, "D3")
    assert row["points"] == pytest.approx(3 * 8 / 9)
    # the next drill, done whole: one planned but unsigned would lower D5 as it raises D3 (an audit)
    assert row["hint"] == "下一次演練前制定詳細預案（並填寫評定結果、各班簽到）：+0.03"


def test_5_3_f3_closed_after_the_evaluation_date_is_still_open():
    rec = school()
    rec.add("hazards", "S1", id="H2", found_date=date(Y, 5, 1), description="x", owner="甲",
            deadline=date(Y, 6, 1), closed_date=date(Y, 5, 30))
    assert pts(rec, "F3", as_of=date(Y, 6, 10)) == 5
    assert pts(rec, "F3", as_of=date(Y, 5, 29)) == 5  # H1 on time; H2 still inside its deadline
    rec.remove("hazards", "S1", id="H2").add("hazards", "S1", id="H2", found_date=date(Y, 5, 1), description="x",
                                            owner="甲", deadline=date(Y, 6, 1), closed_date=date(Y, 6, 20))
    assert pts(rec, "F3", as_of=date(Y, 6, 10)) == pytest.approx(2.5)  # open past deadline on 10 June


def test_5_2_f2_f3_nothing_to_count_follows_f1():
    rec = school().remove("hazards", "S1")
    assert (pts(rec, "F2"), pts(rec, "F3")) == (3, 5)
    rec.remove("checklist", "S1", item="問題清單報局備案")
    assert (pts(rec, "F2"), pts(rec, "F3")) == (0, 0)


# ---- G funds (6.4) -------------------------------------------------------------------------

def test_6_4_g1_share_of_the_four_uses():
    rec = school().remove("funds", "S1", use="表彰獎勵")
    row = result(rec, "G1")
    assert row["points"] == pytest.approx(3.75)
    assert "表彰獎勵" in row["detail"]


# ---- inspections, veto, grades, ranks (5.3, 6.2, 6.3, 5.4) ---------------------------------------

def _inspection(rec, code="S1", day=date(Y, 6, 1), **kw):
    rec.add("inspections", code, date=day, kind="不定期", **kw)


def test_6_3_deduction_is_subtracted_with_floor_zero():
    rec = school()
    _inspection(rec, deduction=2.5)
    assert total(rec)["total"] == 97.5
    _inspection(rec, deduction=200.0)
    assert total(rec)["total"] == 0.0


def test_5_3_assessed_points_replace_computed_latest_finding_wins():
    rec = school()
    _inspection(rec, day=date(Y, 5, 1), indicator="D1", assessed_points=3.0)
    _inspection(rec, day=date(Y, 9, 1), indicator="D1", assessed_points=5.0)
    row = result(rec, "D1")
    assert (row["points"], row["computed_points"], row["assessed_points"]) == (5.0, 8.0, 5.0)
    assert total(rec)["total"] == 97.0


def test_5_3_the_hint_under_assessed_points_is_a_new_assessment_not_more_records():
    """rules.md "what would raise the score": under the assessors' 7 of D1, a drill in a missing month
    raises only the computed points, which do not count; the way up is a new assessment."""
    rec = school().remove("drills", "S1", date=date(Y, 11, 15))
    # computed, on 31 Oct: November's drill, still to be held, is the way up
    assert "2026-11" in result(rec, "D1", as_of=date(Y, 10, 31))["hint"]
    _inspection(rec, day=date(Y, 9, 1), indicator="D1", assessed_points=7.0)
    row = result(rec, "D1", as_of=date(Y, 10, 31))
    assert row["points"] == 7.0 and "2026-11" not in row["hint"] and "重新考評" in row["hint"]
    assert "assess again" in row["hint_en"]
    assert row["gain_points"] != row["gain_points"]  # NaN: no points promised, a new assessment sets them
    _inspection(rec, day=date(Y, 10, 1), indicator="D1", assessed_points=8.0)
    assert result(rec, "D1")["hint"] == ""  # full marks: nothing to raise


def test_5_3_assessed_indicator_id_is_read_forgivingly():
    rec = school()
    _inspection(rec, indicator=" d2 ", assessed_points=1.0)
    assert pts(rec, "D2") == 1.0


def test_6_3_veto_disqualifies_lists_last_grade_fail_rank_null():
    rec = school(code="S1")
    compliant_school(rec, "S2", Y, type="小學").remove("checklist", "S2", item="年度演練計劃")
    _inspection(rec, "S1", falsification=True, finding="代簽")
    ev = evaluate(rec.frames(), Y)
    out = ev.to_json()
    assert [o["school_code"] for o in out] == ["S2", "S1"]
    s1 = out[1]
    assert s1["qualified"] is False and s1["rank"] is None and s1["grade"] == "不合格"
    assert s1["total"] == 100.0  # keeps its computed points for its own view
    assert out[0]["rank"] == 1


def test_5_4_ties_share_a_rank_1_2_2_4():
    rec = Records()
    for code in ("S1", "S2", "S3", "S4"):
        compliant_school(rec, code, Y, type="高中")
    rec.remove("checklist", "S2", item="年度演練計劃").remove("checklist", "S3", item="年度演練計劃")
    rec.remove("checklist", "S4", item="安全工作領導小組")
    ev = evaluate(rec.frames(), Y)
    assert ev.schools[["school_code", "rank"]].values.tolist() == [["S1", 1], ["S2", 2], ["S3", 2], ["S4", 4]]


def test_5_4_grades_use_the_one_decimal_total():
    rec = school()
    _inspection(rec, deduction=10.04)  # 89.96 -> 90.0 published -> 優秀
    s = total(rec)
    assert s["total"] == 90.0 and s["grade"] == "優秀"
    rec = school()
    _inspection(rec, deduction=10.06)  # 89.94 -> 89.9 -> 良好
    assert total(rec)["grade"] == "良好"


def test_registered_school_without_workbook_is_scored_as_not_submitted():
    rec = school().school("S9", type="小學", submitted=False)
    s = total(rec, "S9")
    assert s["total"] == 0 and not s["submitted"] and s["grade"] == "不合格"


def test_json_interface_keys_and_order():
    rec = school()
    out = evaluate(rec.frames(), Y).to_json()
    obj = out[0]
    for key in ("school_code", "name", "type", "township", "total", "grade", "rank", "qualified", "deduction",
                "indicators", "campuses"):
        assert key in obj
    assert list(obj["indicators"]) == ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "C1", "C2", "C3", "C4",
                                       "C5", "C6", "D1", "D2", "D3", "D4", "D5", "E1", "E2", "E3", "E4", "E5",
                                       "E6", "E7", "E8", "F1", "F2", "F3", "G1"]
    for v in obj["indicators"].values():
        assert {"points", "max", "ratio", "clause", "detail", "pending"} <= set(v)
    assert obj["indicators"]["D1"]["clause"] == "4.4.1"
    assert len(obj["indicators"]["D1"]["periods"]) == 9


# ---- found by an audit against rules.md ------------------------------------------------------------

def test_5_3_full_assessed_marks_on_a_c_indicator_keep_c4s_redistributed_share():
    """4.3.4 "never given free and never lost": assessors mark C2 out of its published 6 (the range the
    sync accepts); a 小學's C2 max is 6 x 20/17, so 6 of 6 is 7.06 and the total stays 100."""
    rec = school("小學")
    _inspection(rec, indicator="C2", assessed_points=6.0)
    row = result(rec, "C2")
    assert row["points"] == pytest.approx(6 * 20 / 17) and row["assessed_points"] == 6.0
    assert total(rec)["total"] == 100.0
    _inspection(rec, day=date(Y, 7, 1), indicator="C2", assessed_points=3.0)  # half marks: half of 7.06
    assert pts(rec, "C2") == pytest.approx(3 * 20 / 17)
    assert "按本校滿分折算" in result(rec, "C2")["detail"]


def test_5_3_assessed_points_on_c4_where_it_does_not_apply_count_nothing_and_say_so():
    rec = school("小學")
    _inspection(rec, indicator="C4", assessed_points=3.0)
    row = result(rec, "C4")
    assert (row["points"], row["max"]) == (0.0, 0.0)
    assert "不計" in row["detail"] and "does not apply" in row["detail_en"]
    assert total(rec)["total"] == 100.0


def test_5_3_assessed_0_on_an_indicator_the_rubric_gives_no_points_is_0_points_not_unknown():
    """rules.md: assessors' points replace the computed ones; with D2 worth 0 in a bureau's rubric (D1 10),
    an assessed 0 is 0 points (found by an audit: printed as null)."""
    from scoring.rubric import DEFAULT_RUBRIC, parse_rubric

    text = DEFAULT_RUBRIC.read_text(encoding="utf-8")
    rubric = parse_rubric(text.replace("D1 = { points = 8,", "D1 = { points = 10,")
                          .replace("D2 = { points = 2,", "D2 = { points = 0,"))
    rec = compliant_school(Records(), "S1", Y, type="高中", rubric=rubric)
    _inspection(rec, indicator="D2", assessed_points=0.0)
    printed = evaluate(rec.frames(), Y, None, rubric).to_json()[0]
    assert (printed["indicators"]["D2"]["points"], printed["indicators"]["D2"]["max"]) == (0.0, 0.0)
    assert printed["total"] == 100.0


def test_4_5_3_e7_a_training_day_typed_twice_is_one_day():
    """Three days per guard and semester are three distinct days: 6-7 Sep and 7 Sep again are two."""
    rec = school().remove("guard_training", "S1", name="陳保安", start_date=date(Y, 9, 6))
    rec.add("guard_training", "S1", name="陳保安", start_date=date(Y, 9, 6), end_date=date(Y, 9, 7), off_duty=True)
    rec.add("guard_training", "S1", name="陳保安", start_date=date(Y, 9, 7), end_date=date(Y, 9, 7), off_duty=True)
    assert pts(rec, "E7") == pytest.approx(2 * 3 / 4)  # 陳保安's autumn fails: 3 of 4 guard-semesters
    rec.add("guard_training", "S1", name="陳保安", start_date=date(Y, 9, 8), end_date=date(Y, 9, 8), off_duty=True)
    assert pts(rec, "E7") == 2


def test_4_2_2_b2_a_campus_sent_twice_is_counted_once():
    """The same 600-student campus from the workbook and a mapped query ("本部", "本部 ") is 600 students,
    so director + one staff meet the two required (4 points), as E1 sees one campus."""
    rec = school(students=600)
    rec.add("campuses", "S1", campus="本部 ", students=600, staff=40, boarders=0, security_room=True, alarm=True)
    assert pts(rec, "B2") == 4
    assert "學生600人" in result(rec, "B2")["detail"]


def test_4_3_4_the_hint_promises_only_the_missing_part_of_a_half_covered_semester():
    """On 30 Nov: spring held no lecture (C4 0 of 3 so far), autumn, still running, has 1 of 2.  The second
    autumn lecture brings autumn's missing half of its 1/2 share of C4's 3 points, 3 x 0.5 / 2 = 0.75,
    not a semester's 1.5."""
    rec = school().remove("education", "S1", kind="安全講座")
    rec.add("education", "S1", date=date(Y, 10, 10), kind="安全講座", topic="講座")
    row = result(rec, "C4", as_of=date(Y, 11, 30))
    assert "秋季學期" in row["hint"] and row["hint"].endswith("+0.75") and row["gain_points"] == 0.75
    assert result(rec, "C4")["hint"] == ""  # on 31 Dec autumn is over: nothing can still be held in it


def test_4_2_2_b2_the_hint_for_an_empty_office_is_what_one_director_brings():
    """No staff at all: a director alone is min(1, 1/2) of 4 points."""
    rec = school().remove("office_staff", "S1")
    row = result(rec, "B2")
    assert row["points"] == 0 and row["hint"].endswith("+2.0")


def _first_guard_sent_by(company) -> Records:
    rec = school()
    guard = rec.frames()["guards"].iloc[0]
    rec.remove("guards", "S1", name=guard["name"])
    rec.add("guards", "S1", **{**{k: guard[k] for k in guard.index if k not in ("school_code", "source_id", "row_no")},
                               "company": company})
    return rec


@pytest.mark.parametrize("company", ["學校自聘", "臨時聘用", "自聘", "無保安公司", "没有公司", "學校直接聘用", "本校聘用",
                                     "直聘", "校聘", "公益性崗位", "（無公司）", "［無公司］"])
def test_4_5_1_e2_a_company_cell_saying_the_school_hired_him_is_a_direct_hire(company):
    """4.5.1 不得聘用社會人員: 「學校自聘」「無保安公司」 in 保安公司 say what an empty cell says."""
    rec = _first_guard_sent_by(company)
    guards = len(rec.frames()["guards"])
    assert pts(rec, "E2") == pytest.approx(2 * (guards - 1) / guards)


@pytest.mark.parametrize("spelt", ["{0}\u3000{1}", "{0} {1}", "{0}{1} "])
def test_4_5_3_e7_training_under_the_guards_name_spaced_is_his(spelt):
    """4.5.3: 張　強 (a form's alignment space) on a training row is the guard 張強, from whichever source
    (a held-out county's database listed the guards, its workbook the training): E7 stays full."""
    rec = school()
    training = rec.frames()["guard_training"]
    name = training.iloc[0]["name"]
    for _i, row in training[training["name"] == name].iterrows():
        rec.remove("guard_training", "S1", name=name, start_date=row["start_date"])
        rec.add("guard_training", "S1", **{**{k: row[k] for k in training.columns
                                                if k not in ("school_code", "source_id", "row_no")},
                                             "name": spelt.format(name[0], name[1:])})
    assert pts(rec, "E7") == 2


def test_4_5_1_e1_a_guards_campus_in_the_other_script_is_that_campus():
    """4.5.1 每校區配備標準: guards at 东区 (a database's spelling) are the 東區 campus's (the workbook's)."""
    rec = school()
    guards = rec.frames()["guards"]
    campus = guards.iloc[0]["campus"]
    rec.rows["guards"] = [{**g, "campus": "东区"} if g["campus"] == campus else g for g in rec.rows["guards"]]
    rec.rows["campuses"] = [{**c, "campus": "東區"} if c["campus"] == campus else c for c in rec.rows["campuses"]]
    assert pts(rec, "E1") == 5
    assert result(rec, "E1")["detail"] == "1個校區中1個保安人數達標"


def test_4_5_1_with_no_guard_on_duty_the_guard_hints_say_to_record_guards_not_to_replace_them():
    """E2, E3, E6 (and E7, no guard-semester to measure) of a school without a guard on duty score 0; the
    way up is its guards, not replacing or equipping the ones it does not have (found by audits)."""
    rec = school().remove("guards", "S1")
    for ind in ("E2", "E3", "E6", "E7"):
        row = result(rec, ind)
        assert row["points"] == 0 and row["hint"].startswith("在「保安人員」表登記由保安公司派遣的在崗保安："), row["hint"]
        assert row["hint_en"].startswith("record the guards on duty"), row["hint_en"]


def test_4_3_5_c5_the_hint_names_the_theme_whose_window_ends_first():
    """On 15 Aug, with no theme held yet, road safety (Sep–Oct) comes before fire (Nov–Jan), whatever the
    rubric's order (an audit: the hint named fire first)."""
    rec = school().remove("education", "S1", kind="專題教育")
    row = result(rec, "C5", as_of=date(Y, 8, 15))
    assert "交通" in row["hint"] and "防火" not in row["hint"], row["hint"]


@pytest.mark.parametrize("day,named", [(date(Y, 1, 10), "防火"), (date(Y, 3, 10), "防溺水"), (date(Y, 6, 10), "防溺水"),
                                       (date(Y, 9, 10), "交通")])
def test_4_3_5_c5_the_hint_names_the_theme_that_can_be_held_soonest(day, named):
    """In January fire (Nov-Jan) can be held now; drowning (May-Jul), whose window closes first, cannot be
    before May: the hint named drowning on 10 January.  In March drowning opens first (May against
    September and November); in September road safety is held now."""
    rec = school().remove("education", "S1", kind="專題教育").remove("education", "S1", kind="安全講座")
    row = result(rec, "C5", as_of=day)
    assert row["hint"].startswith(f"在規定月份開展「{named}"), row["hint"]


def test_4_5_1_e2_a_company_named_after_wuxi_is_a_company():
    """无锡 (a city) starts with 无 (none): 无锡保安服务有限公司 is a company, not "no company"."""
    assert pts(_first_guard_sent_by("无锡保安服务有限公司"), "E2") == 2


def test_a_school_whose_own_row_was_refused_but_whose_records_are_in_is_submitted():
    """Submitted means the school's records are in: a 學校概況 row refused for a typo does not make it
    "not submitted" (and 未提交 in the circular)."""
    rec = school()
    rec.remove("school", "S1")
    ev = evaluate(rec.frames(), Y)
    assert bool(ev.schools.set_index("school_code").loc["S1", "submitted"])


@pytest.mark.parametrize("gain,shown", [(0.048, "+0.05"), (0.05, "+0.05"), (0.2, "+0.2"), (0.0123, "+0.01"),
                                        (1.25, "+1.25"), (0.125, "+0.13"), (0.045, "+0.05"), (2.0, "+2.0")])
def test_the_gain_a_hint_promises_is_the_figure_it_shows(gain, shown):
    """The school page ranks the ways up by "gain": the same number the hint prints (found by a regression
    audit: 0.048 printed +0.1 while the hint had said +0.05), to the hundredth where it has one, halves up,
    as the points beside it (B3 2.25/3 promised +0.8; a UX review): 0.125 is +0.13, 1.25 is +1.25."""
    import pandas as pd

    from scoring.engine import _hints

    long = pd.DataFrame({"max": [1.0], "gain": [gain], "assessed_points": [float("nan")], "applicable": [True],
                         "action": ["補一次演練"], "action_en": ["hold a drill"], "pending": [False], "ratio": [0.5]})
    _hints(long)
    assert long.loc[0, "hint_en"] == f"hold a drill: {shown}" and long.loc[0, "gain_points"] == float(shown)


def test_hints_name_a_period_that_can_still_be_met():
    """"What would raise the score" on 30 Nov: December's drill, not January's, which is over (D1 4.4.1),
    and what it is worth to the year's result: one of the year's 9 term months, 8 x 1/9 = 0.89 points (the
    year-to-date gain, 8 x (8/9 - 7/8) = 0.1, undersold it; an audit)."""
    rec = school().remove("drills", "S1", date=date(Y, 1, 15))
    row = result(rec, "D1", as_of=date(Y, 11, 30))
    assert "2026-12" in row["hint"] and "2026-01" not in row["hint"]
    assert row["hint"].endswith("+0.89")
    assert row["gain_points"] == 0.89  # the same figure as a number, for the school page's ranking of gains
    assert result(rec, "D1")["hint"] == ""  # on 31 Dec: January is over, no hint promises it


def test_a_duty_met_so_far_still_names_the_period_ahead_without_promising_points():
    """Every term month met by 30 Nov: December's drill is still to be held (an audit: no hint at all until
    31 Dec, and then too late), but D1 is 8 of 8 today, so it promises no points (a second audit: the
    school page's "three things that would raise the total" added up past 100)."""
    row = result(school(), "D1", as_of=date(Y, 11, 30))
    assert row["points"] == 8 and row["hint"] == "在2026-12舉行一次應急演練"
    assert row["gain_points"] != row["gain_points"]  # NaN: nothing to rank among the ways up


def test_a_pending_duty_names_its_first_period():
    """On 15 Jan C4 is pending (spring, the first semester, has not ended): the hint names spring's two
    lectures, with no points, as nothing counts yet."""
    rec = school().remove("education", "S1", kind="安全講座")
    row = result(rec, "C4", as_of=date(Y, 1, 15))
    assert row["pending"] and row["hint"] == "在2026年春季學期舉辦足2次安全講座"


def test_4_2_3_b3_the_hint_names_every_missing_fitting_and_what_they_bring_together():
    """Two of the four fittings missing (a quarter of B3's 3 points each): both named, +1.5."""
    rec = school().remove("checklist", "S1", item="醒目標牌").remove("checklist", "S1", item="專用檔案柜")
    row = result(rec, "B3")
    assert row["hint"] == "完成醒目標牌、專用檔案柜：+1.5"
    assert row["hint_en"] == "provide a prominent sign, a dedicated archive cabinet: +1.5"
    assert row["gain_points"] == 1.5


def test_4_3_2_c2_the_next_term_week_is_worth_one_of_the_years_term_weeks():
    """4.3.2: by 30 June a 高中 has 21 term weeks counted; without its class of 14 January (W03) it covers
    20.  Covering the next week still open, W27, is one of the year's 41 term weeks on 31 Dec:
    6 x 1/41 = 0.146 points, shown +0.15 (the year-to-date gain, 6 x (21/22 - 20/21), was +0.01)."""
    rec = school().remove("education", "S1", date=date(Y, 1, 14))
    row = result(rec, "C2", as_of=date(Y, 6, 30))
    assert row["detail"].startswith("21個應計教學周中20個達標")
    assert result(rec, "C2")["detail"].startswith("41個應計教學周中40個達標")
    assert row["hint"] == "在2026-W27上一節安全教育課：+0.15"


def test_english_details_name_semesters_and_themes_in_english():
    rec = school().remove("guard_training", "S1", name="陳保安", start_date=date(Y, 9, 6))
    assert "autumn 2026" in result(rec, "E7")["detail_en"] and "（" not in result(rec, "E7")["detail_en"]
    rec = school().remove("education", "S1", topic="防溺水專題")
    assert "drowning" in result(rec, "C5")["detail_en"].lower() and "防溺水" not in result(rec, "C5")["detail_en"]


def test_records_counted_per_school_by_position_as_a_group_by_counts_them():
    """Context.count_per_school (what E1, E2/E3/E6, E5, B2, C3, D3-D5 and every duty over periods count
    with): each registered school's records, 0 for a school with none, in the schools' order; a code no
    school is registered under, or none at all, counts for nobody."""
    import pandas as pd

    from scoring.context import Context
    from scoring.rubric import load_rubric

    rec = school(code="S1")
    compliant_school(rec, "S2", Y, type="小學")
    rec.school("S3")
    ctx = Context(rec.frames(), Y, date(Y, 12, 31), load_rubric())
    drills = ctx.dated("drills")
    by_group = drills.groupby("school_code").size().reindex(ctx.codes, fill_value=0)
    counted = ctx.count_per_school(drills["school_code"])
    assert counted.to_dict() == by_group.to_dict() and counted["S3"] == 0 and counted["S1"] > 0
    assert list(counted.index) == list(ctx.codes)
    stray = ctx.count_per_school(pd.Series(["S2", "S9", None, "S2"], dtype=object))
    assert stray.to_dict() == {"S1": 0, "S2": 2, "S3": 0}
