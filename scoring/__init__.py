"""Scoring: the plan's duties as rules over DataFrames (pure: no database, no Dash).

`evaluate(frames, year, as_of=None, rubric=None)` -> Evaluation; see scoring.engine.
"""

from scoring.engine import Evaluation, evaluate
from scoring.rubric import Rubric, load_rubric

__all__ = ["Evaluation", "Rubric", "evaluate", "load_rubric"]
