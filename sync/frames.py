"""Read the store's records as pandas DataFrames, the form scoring takes.

`load_frames` returns one DataFrame per sheet key of the contract, with the
English column keys plus school_code (and source_id, row_no for tracing).
Dates come back as datetime64 columns, booleans as nullable booleans and
counts as nullable integers, whatever the database.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Date, String, select, type_coerce
from sqlalchemy.engine import Engine

from sync.sheet_frames import typed_frame
from sync.store import records, sources
from sync.validate import zero_dropped

# Sheets the shared database may hold for many schools at once beside the bureau's own entries:
# every source of them counts (the registry is one list; the office's inspections add up).
_ALL_SOURCES_COUNT = ("registry", "inspections")


def load_frames(engine: Engine, school_codes: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """One frame per sheet key.  Where a mapped query (a SQL source) gives a school's rows of a sheet,
    they are that school's rows of it: the same guards from the school's workbook and from the
    shared database would otherwise count twice (data-contract.md: the database "already holds
    some of the same facts")."""
    frames: dict[str, pd.DataFrame] = {}
    with engine.connect() as conn:
        mapped = dict(conn.execute(select(sources.c.source_id, sources.c.source_key).where(sources.c.kind == "sql")).all())
        from_database = set(mapped)
        rank = _mapping_rank(mapped)
        # A query's rows of a school all refused still are the school's rows from the database: its
        # workbook's (two guards since gone) must not come back for them (found by an audit).
        refused_by_query = _schools_with_refused_query_rows(conn, from_database)
        for key, table in records.items():
            query = select(*_as_read(table)).order_by(table.c.record_id)
            if school_codes is not None:
                query = query.where(table.c.school_code.in_(school_codes))
            # Plain tuples: pandas probes each SQLAlchemy Row for a ._fields it answers with an exception.
            rows = list(map(tuple, conn.execute(query).all()))
            frame = pd.DataFrame.from_records(rows, columns=[c.name for c in table.columns])
            if from_database and key not in _ALL_SOURCES_COUNT:
                frame = _standing(frame, from_database, rank, refused_by_query.get(key, set()))
            if key == "registry" and from_database:
                # A school listed by the bureau workbook and by a mapped query with another type: the
                # bureau's own list is the one that stands (scoring keeps a code's last entry), not
                # whichever source happened to be written last.
                frame = frame.sort_values("source_id", key=lambda ids: ~ids.isin(from_database), kind="stable")
            frames[key] = typed_frame(frame.drop(columns=["record_id"]).reset_index(drop=True), key)
        _registry_row_refused(conn, frames, school_codes)
    _zero_padded_codes(frames)
    return frames


def _standing(frame: pd.DataFrame, from_database: set[int], rank: dict, refused: set[str]) -> pd.DataFrame:
    """The rows of one sheet that stand: where a mapped query gives a school's rows (or gave rows all
    refused), only the first-mapped query's; elsewhere the workbook's."""
    if frame.empty:
        return frame
    by_query = frame["source_id"].isin(from_database)
    if not (by_query.any() or refused):
        return frame
    # One query's rows per school: the same guards mapped from two databases count once, the source
    # mapped first in the configuration standing.
    ranks = frame.loc[by_query, "source_id"].map(rank)
    first = ranks.groupby(frame.loc[by_query, "school_code"]).transform("min")
    standing = by_query.copy()
    standing[by_query] = ranks == first
    covered = set(frame.loc[by_query, "school_code"]) | refused
    return frame[standing | ~frame["school_code"].isin(covered)].reset_index(drop=True)


def standing_campuses(engine: Engine) -> dict[str, set[str]]:
    """Each school's campuses as the scoring reads them (its workbook's 校區 sheet, or a campuses query
    where one gives the school's): what a query's guard is checked against.  Against every campus in
    the store, a guard at a campus only the set-aside workbook lists was let in and counted nowhere."""
    table = records["campuses"]
    with engine.connect() as conn:
        mapped = dict(conn.execute(select(sources.c.source_id, sources.c.source_key).where(sources.c.kind == "sql")).all())
        rows = list(map(tuple, conn.execute(select(table.c.school_code, table.c.campus, table.c.source_id)).all()))
        frame = pd.DataFrame.from_records(rows, columns=["school_code", "campus", "source_id"])
        if mapped:
            refused = _schools_with_refused_query_rows(conn, set(mapped)).get("campuses", set())
            frame = _standing(frame, set(mapped), _mapping_rank(mapped), refused)
    out: dict[str, set[str]] = {}
    for code, campus in zip(frame["school_code"], frame["campus"], strict=True):
        out.setdefault(code, set()).add(campus)
    return out


def _zero_padded_codes(frames: dict[str, pd.DataFrame]) -> None:
    """One school for a code registered twice, with and without its leading zeros (sync.validate.
    zero_dropped): the registry's row of the short form goes, and any record filed under it is the
    zero-padded code's."""
    short = zero_dropped(frames["registry"]["school_code"])
    if not short:
        return
    frames["registry"] = frames["registry"][~frames["registry"]["school_code"].isin(short)].reset_index(drop=True)
    for key, frame in frames.items():
        if key != "registry" and "school_code" in frame.columns and frame["school_code"].isin(short).any():
            frames[key] = frame.assign(school_code=frame["school_code"].replace(short))


def _schools_with_refused_query_rows(conn, from_database: set[int]) -> dict[str, set[str]]:
    """sheet key -> schools a mapped query gave rows of that sheet for which were refused."""
    if not from_database:
        return {}
    from sync.store import rejected_rows

    out: dict[str, set[str]] = {}
    for sheet, code in conn.execute(select(rejected_rows.c.sheet, rejected_rows.c.school_code).where(
            rejected_rows.c.source_id.in_(from_database), rejected_rows.c.level == "row",
            rejected_rows.c.school_code.is_not(None))):
        out.setdefault(sheet, set()).add(code)
    return out


def _mapping_rank(mapped: dict[int, str]) -> dict[int, tuple[int, int]]:
    """source id -> (place of its source in the configuration's [[sources]], source id): the order the
    bureau wrote, whatever order the store first saw them in.  A source no longer configured comes last."""
    try:
        from sync.settings import get_file_config

        order = {src.name: n for n, src in enumerate(get_file_config().sources)}
    except Exception:  # noqa: BLE001 - a configuration that does not load: the store's own order
        order = {}
    return {sid: (order.get(key.split(":")[1], len(order)), sid) for sid, key in mapped.items()}


def _registry_row_refused(conn, frames: dict[str, pd.DataFrame], school_codes: list[str] | None) -> None:
    """A school on a registry row refused for another cell (學校類別 typed 九年制) is still registered:
    the sync loads its workbook and the bureau is shown its row.  Until the bureau mends the row the
    school is evaluated as its own 學校概況 describes it, or listed by its code (not submitted) when it
    sent none, rather than left out of every ranking and circular without a word."""
    from sync.report import codes_on_refused_registry_rows

    codes = codes_on_refused_registry_rows(conn) - set(frames["registry"]["school_code"])
    if school_codes is not None:
        codes &= set(school_codes)
    if not codes:
        return
    own = frames["school"].drop_duplicates("school_code", keep="last").set_index("school_code")

    def entry(code: str) -> dict:
        found = {c: own[c].get(code) for c in ("name", "type", "township")}
        found = {c: None if v is None or pd.isna(v) else v for c, v in found.items()}  # never NaN in the JSON
        return {"school_code": code, **found, "name": found["name"] or code}  # named by its code at least

    stand_ins = pd.DataFrame([entry(code) for code in sorted(codes)], dtype=object)
    frames["registry"] = typed_frame(pd.concat([frames["registry"], stand_ins], ignore_index=True), "registry")


def _as_read(table) -> list:
    """The table's columns, dates as the driver gives them: SQLite's ISO text is parsed by pandas a
    column at a time (_typed) rather than by SQLAlchemy a value at a time, a third of loading a county."""
    return [type_coerce(c, String).label(c.name) if isinstance(c.type, Date) else c for c in table.columns]
