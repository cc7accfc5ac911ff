"""The indicators as a registry: each area module registers one function per indicator.

The function's docstring starts with its clause id and a one-line statement of
the duty (OpenFisca style); the points live in the rubric file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PERIODIC = ("C2", "C4", "C5", "C6", "D1", "E4", "E7", "E8")


@dataclass(frozen=True)
class Indicator:
    id: str
    clause: str
    title: str
    title_en: str
    fn: Callable

    @property
    def duty(self) -> str:
        return (self.fn.__doc__ or "").strip().splitlines()[0]


INDICATORS: dict[str, Indicator] = {}


def indicator(id: str, clause: str, title: str, title_en: str):
    """Register an indicator function under its id."""

    def register(fn: Callable) -> Callable:
        INDICATORS[id] = Indicator(id, clause, title, title_en, fn)
        return fn

    return register


def all_indicators() -> dict[str, Indicator]:
    from scoring import drills, education, funding, guards, hazards, office, responsibility  # noqa: F401
    from scoring.rubric import INDICATOR_IDS

    return {i: INDICATORS[i] for i in INDICATOR_IDS}
