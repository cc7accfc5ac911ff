"""The bureau's shared database, read through mapped queries (data-contract.md section 3).

Each configured source has a SQLAlchemy URL and one SELECT per sheet key
whose result columns are the English keys plus school_code (the mapping from
the other system's own names is done in the query, with aliases).  Queries
run in a read-only transaction, and their rows go through exactly the same
checks as a sheet's rows.  One source key per (source, sheet):
`sql:<name>:<sheet key>`.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from sync import contract
from sync.reader import column_key_of
from sync.report import FileReport
from sync.validate import Context, RawRow, numeric_columns, privacy_problems, validate_rows


class SourceUnavailable(Exception):
    """The shared database could not be queried; str(err) says why."""


def source_key(name: str, sheet_key: str) -> str:
    return f"sql:{name}:{sheet_key}"


def _read_only(conn) -> None:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text("SET TRANSACTION READ ONLY"))
    elif dialect in ("mysql", "mariadb"):
        conn.execute(text("SET SESSION TRANSACTION READ ONLY"))
    elif dialect == "sqlite":
        conn.execute(text("PRAGMA query_only = ON"))


def fetch(url: str, query: str) -> tuple[list[str], list[tuple]]:
    """Run one mapped query read-only: (column names, rows)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            _read_only(conn)  # first statement of the transaction the query then runs in
            result = conn.execute(text(query))
            out = list(result.keys()), [tuple(r) for r in result]
            conn.rollback()
            return out
    except Exception as err:  # any driver error: the source is unavailable this run
        first = str(getattr(err, "orig", None) or err).strip().splitlines()
        raise SourceUnavailable(first[0][:300] if first else type(err).__name__) from None
    finally:
        engine.dispose()


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return float(value)
    return value


def rows_digest(columns: list[str], rows: list[tuple]) -> str:
    h = hashlib.sha256(repr(columns).encode())
    for row in rows:
        h.update(repr(row).encode())
    return h.hexdigest()


def check_rows(name: str, sheet_key: str, columns: list[str], rows: list[tuple], registry: set[str] | None,
               today: date, maxima: dict[str, float]) -> FileReport:
    """Validate a query result as the sheet `sheet_key` (school_code is a column here)."""
    spec = contract.SHEETS[sheet_key]
    report = FileReport(f"{name}:{sheet_key}", kind="sql")
    mapping = {}
    for i, col in enumerate(columns):
        key = column_key_of(spec, col) or (col if col == "school_code" else None)
        if key and key not in mapping:
            mapping[key] = i
    needed = [c for c in spec.columns if c.required and c.key not in mapping]
    if "school_code" not in mapping and "school_code" not in [c.key for c in needed]:
        needed.insert(0, contract.Column("school_code", "學校代碼", en="school code"))
    for col in needed:
        report.add_file_problem(
            f"查詢結果缺少「{col.key}」列({col.zh}),請在查詢中用別名 AS {col.key} 給出",
            f"the query returns no '{col.key}' column ({col.label_en}); alias one with AS {col.key}",
            sheet=sheet_key, column=col.key, sheet_key=sheet_key,
        )
    region = [(n, [_plain(v) for v in row]) for n, row in enumerate(rows, start=1)]
    report.problems.extend(privacy_problems(sheet_key, sheet_key, None, list(columns), region,
                                            code_col=mapping.get("school_code"),
                                            skip_cols=numeric_columns(sheet_key, mapping)))
    if report.refused:
        return report
    headers = {key: (i + 1, columns[i]) for key, i in mapping.items()}
    raw_rows = []
    for n, cells in region:
        picked = {key: cells[i] for key, i in mapping.items()}
        raw_rows.append(RawRow(n, picked, row_cells=cells, names=list(columns)))
    ctx = Context(today=today, school_code=None, registry=registry if sheet_key != "registry" else None,
                  indicator_max=maxima)
    result = validate_rows(spec, raw_rows, ctx, sheet_key, headers)
    report.rows[sheet_key] = result.accepted
    report.rejected.extend(result.rejected)
    report.problems.extend(result.problems)
    report.rows_read = len(raw_rows)
    return report
