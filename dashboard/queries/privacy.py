"""What a school may see of the others: which county and group means it is shown at each month end or
year so that no combination of them, with its own total, gives away another school's total."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from dashboard.queries.base import (
    Scope,
    _annual,
    _inspections_by_school,
    _publication,
    _ranked,
    _score_rows,
    version_cached,
)

# A school viewer sees a group's mean or spread only over at least this many schools: a mean over
# two schools and one's own total would give away the other school's total.
MIN_GROUP_FOR_SCHOOLS = 3


@version_cached
def _trend_means(engine: Engine, year: int, version: tuple) -> pd.DataFrame:
    """Year-to-date totals at each month end: every school's row.  A published year's are the frozen
    copies its publication keeps (rules.md: a published evaluation does not change when data arrives
    later); a draft year's are the draft rows."""
    pub = _publication(engine, year, version)
    frame = _score_rows(engine, year, "trend", pub["publication_id"] if pub else None, version, lean=True)
    if frame.empty and pub:  # published before trends were kept with it: the drafts are all there is
        frame = _score_rows(engine, year, "trend", None, version, lean=True)
    return frame[["school_code", "name", "type", "township", "as_of", "total", "qualified"]]


@version_cached
def _trend_parts(engine: Engine, year: int, version: tuple) -> tuple[pd.Series, dict, dict]:
    """County mean and each type's mean at every month end (of the ranked schools), and each school's own
    rows (computed once)."""
    trend = _trend_means(engine, year, version)
    ranked = _ranked(trend)
    county = ranked.groupby("as_of")["total"].mean().reindex(sorted(trend["as_of"].unique()))
    by_type = {ty: part.groupby("as_of")["total"].mean() for ty, part in ranked.groupby("type")}
    type_sizes = ranked.groupby("type")["school_code"].nunique().to_dict()
    # One column per school on the county's month ends: a school's line is one column, not a groupby per page.
    own = trend.pivot_table(index="as_of", columns="school_code", values="total", aggfunc="last").reindex(county.index)
    by_type = {ty: means.reindex(county.index) for ty, means in by_type.items()}
    types = dict(zip(trend["school_code"], trend["type"], strict=True))
    return county, by_type, {"own": own, "types": types, "sizes": type_sizes}


def _a_schools_draft(scope: Scope, engine: Engine, year: int, version: tuple) -> bool:
    """A school's viewer of a year not yet published (a published year is circulated whole)."""
    return not scope.bureau and _publication(engine, year, version) is None


@version_cached
def _not_submitted(engine: Engine, year: int, version: tuple) -> frozenset:
    """The schools that sent nothing in the year and that no assessor marked: 0 points at every month end,
    and known to score so (the overview counts them, a published ranking names them), so a mean gives
    nothing away about them but tells the rest apart (a privacy audit: a county of three, one silent, gave
    the third's draft total).  An assessor's points (督查 with an indicator) give a silent school points of
    its own: it stays unknown, and protected (a second audit)."""
    annual = _annual(engine, year, version)
    if annual.empty:
        return frozenset()
    findings = _inspections_by_school(engine, year, version)
    assessed = {code for code, listed in findings.items() if any(f["assessed_points"] is not None for f in listed)}
    return frozenset(code for code in annual.index[~annual["submitted"].astype(bool)] if code not in assessed)


def _known_to(scope: Scope, engine: Engine, year: int, version: tuple) -> frozenset:
    """The schools whose totals a school viewer knows: its own, and those that sent nothing (_not_submitted)."""
    return _not_submitted(engine, year, version) | {scope.school_code}


@version_cached
def _county_withheld_days(scope: Scope, engine: Engine, year: int, version: tuple) -> frozenset:
    """The month ends at which a school may not see the county mean: where the ranked schools besides its own
    and those that sent nothing are exactly one, the mean and what the school knows are that school's total.
    A published year too: its month-end totals are circulated nowhere (the September mean of two gave the
    other's year to date; a privacy audit).  (The group means hide such groups themselves, _group_means_for.)"""
    if scope.bureau:
        return frozenset()
    ranked = _ranked(_trend_means(engine, year, version))
    known = _known_to(scope, engine, year, version)
    others = ranked[~ranked["school_code"].isin(known)].groupby("as_of").size()
    return frozenset(others.index[others == 1])


def _annual_county_withheld(scope: Scope, engine: Engine, year: int, version: tuple) -> bool:
    """_county_withheld_days for the year's annual mean, in a draft year (a published one is circulated whole)."""
    if not _a_schools_draft(scope, engine, year, version):
        return False
    ranked, _blocks = _annual_groups(engine, year, version)
    known = _known_to(scope, engine, year, version)
    return int((~ranked["school_code"].isin(known)).sum()) == 1


def _small_groups_hidden(scope: Scope, groups: pd.DataFrame, sizes: pd.Series) -> pd.DataFrame:
    if scope.bureau:
        return groups
    return groups[sizes.to_numpy() >= MIN_GROUP_FOR_SCHOOLS]


def _group_means_for(scope: Scope, groups: pd.DataFrame, own_group) -> pd.DataFrame:
    """The group means (columns group, mean, size) of one month end or year a viewer may see beside
    the county mean.  A school sees no group under MIN_GROUP_FOR_SCHOOLS schools, and the groups it
    does not see must not add up to one or two other schools: the county mean times the county's
    schools, less every group shown, is their sum (one two-school township beside the county gave
    away the other school's draft total).  So the smallest groups shown are hidden as well until the
    hidden ones hold at least MIN_GROUP_FOR_SCHOOLS - 1 schools besides the viewer's own, or none."""
    if scope.bureau:
        return groups
    order = groups.sort_values("size", kind="stable")
    hidden = order["size"] < MIN_GROUP_FOR_SCHOOLS
    sizes = order["size"].to_numpy()
    own = (order["group"] == own_group).to_numpy()

    def others_hidden() -> int:
        return int(sizes[hidden.to_numpy()].sum()) - int((own & hidden.to_numpy()).any())

    while 0 < others_hidden() < MIN_GROUP_FOR_SCHOOLS - 1 and not hidden.all():
        hidden.iloc[int(np.flatnonzero(~hidden.to_numpy())[0])] = True
    return order[~hidden].sort_index()


GROUPINGS = ("type", "township")


def _shown_to_a_school(members: pd.DataFrame, own_code: str | None, blocks: dict[str, pd.DataFrame],
                       own_groups: dict, known: frozenset = frozenset()) -> dict[str, set]:
    """The groups of each grouping (type, township) whose mean a school sees at one month end or year.

    Each grouping by itself hides what would single a school out (_group_means_for), but the school asks
    for both: a township holding a three-school type and one school more, less that type, is that one
    school's total (found by an adversarial audit).  So the means seen in either grouping, the county's and
    the viewer's own total are put together, and while they still give some other school's total alone the
    smallest group whose hiding closes it (else the smallest) is hidden too.  members: the ranked schools counted (school_code, type, township);
    blocks: each grouping's means (group, mean, size); own_groups: the viewer's group in each; known: other
    schools whose totals the viewer knows (those that sent nothing, _not_submitted)."""
    school = Scope(False, own_code)
    shown = {col: set(_group_means_for(school, blocks[col], own_groups.get(col))["group"]) for col in blocks}
    sizes = {col: dict(zip(block["group"], block["size"], strict=True)) for col, block in blocks.items()}
    while _one_school_worked_out(members, own_code, shown, known):
        left = sorted((sizes[col][group], col, str(group), group) for col, groups in shown.items() for group in groups)
        if not left:
            break  # the county mean alone gives it (one other ranked school): withheld, _county_withheld_days
        # The smallest group whose hiding alone closes the gap, if one does: hiding the smallest first, then the
        # next, hid every type mean of a county whose kindergartens were mostly silent where hiding 幼兒園 and
        # one other type would do (about one small county in eight shows more so).
        for _size, col, _name, group in left:
            trial = {c: groups - {group} if c == col else groups for c, groups in shown.items()}
            if not _one_school_worked_out(members, own_code, trial, known):
                return trial
        shown[left[0][1]].discard(left[0][3])
    return shown


def _one_school_worked_out(members: pd.DataFrame, own_code: str | None, shown: dict[str, set],
                           known: frozenset = frozenset()) -> bool:
    """Whether the sums a viewer knows (the county's, each group's shown, its own total and the `known`
    schools' each) give some other school's total alone: that school's column of them is then reproduced by
    a combination of the sums (its leverage on them is 1).  Schools in the same shown groups have the same
    column: worked out per distinct column, weighted by how many schools share it (a decomposition per
    school took 0.2 s a month end at 3,000)."""
    if members.empty:
        return False
    # each school whose total the viewer knows is a sum of its own (its column one of the sums)
    known_at = {code: i for i, code in enumerate(sorted({own_code, *known} - {None}), start=1)}
    keys = [members["school_code"].map(known_at).fillna(0).to_numpy(dtype="int64")]
    labels = []
    for col, groups in shown.items():
        number = {group: i for i, group in enumerate(sorted(groups, key=str), start=1)}
        keys.append(members[col].map(number).fillna(0).to_numpy(dtype="int64"))
        labels += [(len(keys) - 1, i) for i in number.values()]
    patterns, weights = np.unique(np.column_stack(keys), axis=0, return_counts=True)
    vectors = np.column_stack([np.ones(len(patterns)),
                               *((patterns[:, 0] == i).astype("float64") for i in sorted(set(known_at.values()))),
                               *((patterns[:, k] == i).astype("float64") for k, i in labels)])
    gram = (vectors * weights[:, None]).T @ vectors
    leverage = np.einsum("ij,jk,ik->i", vectors, np.linalg.pinv(gram), vectors)
    return bool(((leverage > 1 - 1e-6) & (weights == 1) & (patterns[:, 0] == 0)).any())


def _own_group(scope: Scope, group_of: pd.Series):
    """The viewer's school's group (its type or township) in `group_of`, indexed by school code."""
    if scope.bureau or scope.school_code not in group_of.index:
        return None
    found = group_of.loc[scope.school_code]
    return found.iloc[0] if isinstance(found, pd.Series) else found


@version_cached
def _group_means(engine: Engine, year: int, version: tuple, col: str) -> pd.DataFrame:
    """Each type's or township's mean of the ranked schools at each month end: as_of, group, mean, size."""
    trend = _ranked(_trend_means(engine, year, version))
    return trend.groupby(["as_of", col])["total"].agg(["mean", "size"]).reset_index().rename(columns={col: "group"})


def _groups_shown_to_a_school(engine: Engine, year: int, version: tuple, col: str, own_code: str | None) -> pd.DataFrame:
    """_group_means by `col` as the school `own_code` sees them, month end by month end (_shown_to_a_school:
    with the other grouping's means it sees at the same month end)."""
    return _month_ends_shown_to_a_school(engine, year, version, own_code)[col]


@version_cached
def _month_ends_shown_to_a_school(engine: Engine, year: int, version: tuple,
                                  own_code: str | None) -> dict[str, pd.DataFrame]:
    """Both groupings' means as the school sees them at each month end, worked out together (the trends
    page by type, by township and the school's own page read the same)."""
    own_groups, days = _month_end_groups(engine, year, version)
    own_groups = own_groups.get(own_code, {})
    known = _not_submitted(engine, year, version)
    parts: dict[str, list] = {c: [] for c in GROUPINGS}
    seen: dict[int, dict] = {}
    for members, blocks in days:
        # month ends whose ranked schools are the same (all but a school missing a month's row) hide the same
        if id(members) not in seen:
            seen[id(members)] = _shown_to_a_school(members, own_code, blocks, own_groups, known)
        shown = seen[id(members)]
        for c in GROUPINGS:
            parts[c].append(blocks[c][blocks[c]["group"].isin(shown[c])])
    return {c: pd.concat(parts[c], ignore_index=True) if parts[c]
            else _group_means(engine, year, version, c).iloc[0:0] for c in GROUPINGS}


@version_cached
def _month_end_groups(engine: Engine, year: int, version: tuple) -> tuple[dict, list]:
    """What _month_ends_shown_to_a_school reads for every school: each school's type and township, and per
    month end the ranked schools (one frame shared by consecutive month ends that have the same) and each
    grouping's means."""
    trend = _trend_means(engine, year, version)
    last = trend.drop_duplicates("school_code", keep="last")
    own_groups = {code: dict(zip(GROUPINGS, groups, strict=True))
                  for code, *groups in zip(last["school_code"], *(last[c] for c in GROUPINGS), strict=True)}
    by_day = {c: dict(tuple(_group_means(engine, year, version, c).groupby("as_of"))) for c in GROUPINGS}
    days, before = [], None
    for day, members in _ranked(trend).groupby("as_of"):
        members = members[["school_code", *GROUPINGS]].reset_index(drop=True)
        if before is not None and members.equals(before):
            members = before
        before = members
        days.append((members, {c: by_day[c].get(day, _group_means(engine, year, version, c).iloc[0:0])
                               for c in GROUPINGS}))
    return own_groups, days


@version_cached
def _annual_groups(engine: Engine, year: int, version: tuple) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The year's ranked schools, and each grouping's means of them (group, mean, size)."""
    annual = _annual(engine, year, version)
    ranked = pd.DataFrame(columns=["school_code", "total", *GROUPINGS]) if annual.empty else _ranked(annual)
    return ranked, {c: ranked.groupby(c)["total"].agg(["mean", "size"]).reset_index().rename(columns={c: "group"})
                    for c in GROUPINGS}
