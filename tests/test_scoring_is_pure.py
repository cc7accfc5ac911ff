"""DEVELOPERS.md: scoring/ is pure, DataFrames in and scores out, no database and no Dash."""

from __future__ import annotations

import subprocess
import sys

# A fresh interpreter (the test session has long since imported everything) scores a county given its
# registry alone: every other sheet is the empty frame scoring makes for a sheet it was not given.
_SCORE_A_REGISTRY_ALONE = """
import sys, datetime
import pandas as pd
import scoring, scoring.engine
from sync import contract
from sync.sheet_frames import typed_frame
row = {key: None for key in contract.SHEETS["registry"].keys}
row.update(school_code="1001", name="城關小學", type="小學", township="城關鎮")
ev = scoring.engine.evaluate({"registry": typed_frame(pd.DataFrame([row]), "registry")}, 2026,
                             as_of=datetime.date(2026, 6, 30))
assert list(ev.schools["school_code"]) == ["1001"], ev.schools
print(sorted({m.split(".")[0] for m in sys.modules} & {"sqlalchemy", "dash", "flask", "dashboard"}))
"""


def test_scoring_loads_no_database_or_dashboard_library():
    out = subprocess.run([sys.executable, "-c", _SCORE_A_REGISTRY_ALONE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
