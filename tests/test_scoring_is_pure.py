"""DEVELOPERS.md: scoring/ is pure, DataFrames in and scores out, no database and no Dash."""

from __future__ import annotations

import subprocess
import sys


def test_scoring_loads_no_database_or_dashboard_library():
    # A fresh interpreter: the test session has long since imported everything.
    code = ("import sys, scoring, scoring.engine, scoring.registry; scoring.registry.all_indicators(); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'dash', 'flask', 'dashboard'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
