"""Store side of scoring: draft results after each sync, frozen publications.

(First version: the signatures are final; the bodies follow shortly.)
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine


def recompute(engine: Engine, years: list[int] | None = None, today: date | None = None, rubric=None) -> dict:
    """Re-evaluate the draft annual and trend scores of `years` (default: every year with records)."""
    return {"years": [], "rows": 0}
