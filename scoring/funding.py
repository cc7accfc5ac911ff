"""Area G, funding 經費保障 (plan 6.4)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.context import Context, Outcome, texts
from scoring.registry import indicator
from sync.contract import FUND_USES

FUND_USES_EN = ("hazard remediation", "safety publicity", "emergency rescue", "commendations")


@indicator("G1", "6.4", "安全專項經費", "special safety funds")
def g1_special_funds(ctx: Context) -> Outcome:
    """6.4: special funds are spent or budgeted on each of hazard remediation, publicity, rescue and rewards."""
    funds = ctx.dated("funds")
    funds = funds[funds["amount"].astype(float) > 0]
    used = {use: ctx.codes.isin(funds.loc[funds["use"] == use, "school_code"]) for use in FUND_USES}
    count = sum(pd.Series(v, index=ctx.codes).astype(int) for v in used.values())
    missing = ["、".join(u for u, v in zip(FUND_USES, row, strict=False) if not v) for row in zip(*used.values(), strict=False)]
    missing_en = [", ".join(u for u, v in zip(FUND_USES_EN, row, strict=False) if not v) for row in zip(*used.values(), strict=False)]
    n = len(FUND_USES)
    detail = texts(f"{n}項用途中已覆蓋{{c}}項{{m}}", c=count, m=["；缺：" + m if m else "" for m in missing])
    detail_en = texts(f"{{c}} of {n} uses funded{{m}}", c=count, m=["; missing " + m if m else "" for m in missing_en])
    action = ["安排" + m.split("、")[0] + "經費" if m else "" for m in missing]
    action_en = ["fund " + m.split(", ")[0] if m else "" for m in missing_en]
    # one use funded at a time (the hint names the first missing): each brings its share
    return ctx.outcome(count / n, detail, detail_en, action, action_en, gain=np.where(count < n, 1 / n, 0.0))
