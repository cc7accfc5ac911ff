"""A sheet's records as a typed DataFrame, by the data contract alone: no store, no database library.

scoring/ takes these frames and builds an empty one for a sheet it was not given; sync.frames fills
them from the store.
"""

from __future__ import annotations

import pandas as pd

from sync import contract

_DTYPES = {
    contract.INT: "Int64",
    contract.BOOL: "boolean",
    contract.MONEY: "float64",
    contract.SCORE: "float64",
}


def empty_frame(sheet_key: str) -> pd.DataFrame:
    """A frame with the sheet's columns and dtypes and no rows (for tests and for missing data)."""
    sheet = contract.SHEETS[sheet_key]
    return typed_frame(pd.DataFrame(columns=["source_id", "row_no", "school_code", *[k for k in sheet.keys if k != "school_code"]]), sheet_key)


# The days pandas holds in nanoseconds.  A stored date past them (9999-12-31 typed for "no end", loaded
# before the sync refused dates that far ahead) is read as the last of them, the far future it means,
# rather than stopping the scoring of the whole county.
FIRST_DAY, LAST_DAY = pd.Timestamp("1677-09-22"), pd.Timestamp("2262-04-11")


def day_column(values) -> pd.Series:
    """Stored dates (date objects or ISO text) as datetime64[ns], unreadable ones NaT."""
    # ISO8601: a column whose first value has no time must not turn "... 00:00:00" into NaT
    days = pd.to_datetime(values, errors="coerce", format="ISO8601")
    return days.clip(lower=FIRST_DAY, upper=LAST_DAY).astype("datetime64[ns]")


def typed_frame(frame: pd.DataFrame, sheet_key: str) -> pd.DataFrame:
    """`frame`'s contract columns in the types scoring reads: datetime64 days, nullable counts and
    yes/no, float amounts, text as objects."""
    sheet = contract.SHEETS[sheet_key]
    for col in sheet.columns:
        if col.key not in frame:
            continue
        if col.kind == contract.DATE:
            frame[col.key] = day_column(frame[col.key])
        elif col.kind in _DTYPES:
            frame[col.key] = pd.to_numeric(frame[col.key], errors="coerce") if col.kind != contract.BOOL else frame[col.key]
            frame[col.key] = frame[col.key].astype(_DTYPES[col.kind])
        else:
            frame[col.key] = frame[col.key].astype("object")
    frame["school_code"] = frame["school_code"].astype("object")
    return frame
