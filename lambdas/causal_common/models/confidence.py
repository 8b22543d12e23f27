"""Confidence sets that need not be one interval: what a test valid under a weak instrument leaves standing."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

# The tests whose inversion gives a ConfidenceSet, as a sentence names them.
TEST_NAMES = {
    "iv.anderson_rubin": "Anderson–Rubin",
    "iv.conditional_likelihood_ratio": "conditional likelihood ratio",
}

ConfidenceSetShape = Literal["interval", "above", "below", "two_rays", "everything", "empty", "union"]


class ConfidenceSet(BaseModel):
    """A 95% confidence set that need not be one finite interval.

    Inverting a test that stays valid however weak the instrument (Anderson–Rubin, conditional likelihood ratio)
    gives every effect the data cannot reject: a finite interval when the instrument is informative, else a
    half-line, two rays pointing away from each other, the whole line, or (several instruments that disagree)
    nothing at all.
    """

    method: str = Field(description="The test inverted: iv.anderson_rubin or iv.conditional_likelihood_ratio.")
    shape: ConfidenceSetShape = Field(
        description="interval [a, b]; above [a, ∞); below (-∞, b]; two_rays (-∞, a] ∪ [b, ∞); everything (-∞, ∞); "
        "empty; union (several pieces)."
    )
    pieces: list[tuple[float | None, float | None]] = Field(
        description="The set's intervals from left to right; None is an unbounded end."
    )
    level: float = Field(default=0.95, description="Coverage of the set.")

    @classmethod
    def of(cls, method: str, pieces: list[tuple[float | None, float | None]], level: float = 0.95) -> ConfidenceSet:
        """The set from its pieces (None for an infinite end), with its shape named."""
        ordered = sorted(pieces, key=lambda piece: -math.inf if piece[0] is None else piece[0])
        bounded = [(low is not None, high is not None) for low, high in ordered]
        shape: ConfidenceSetShape
        if not ordered:
            shape = "empty"
        elif bounded == [(False, False)]:
            shape = "everything"
        elif bounded == [(True, True)]:
            shape = "interval"
        elif bounded == [(True, False)]:
            shape = "above"
        elif bounded == [(False, True)]:
            shape = "below"
        elif bounded == [(False, True), (True, False)]:
            shape = "two_rays"
        else:
            shape = "union"
        return cls(method=method, shape=shape, pieces=ordered, level=level)

    @property
    def test_name(self) -> str:
        return TEST_NAMES.get(self.method, self.method)

    @property
    def interval(self) -> tuple[float, float] | None:
        """The set as an ordinary interval, when it is one."""
        if self.shape != "interval":
            return None
        low, high = self.pieces[0]
        assert low is not None and high is not None
        return (low, high)

    def contains(self, value: float) -> bool:
        return any((low is None or low <= value) and (high is None or value <= high) for low, high in self.pieces)

    def describe(self, number: Callable[[float], str] = "{:,.4g}".format) -> str:
        """The effects the set holds, in words: "any effect below -3 or above 1.2", "any effect at all"."""
        if self.shape == "empty":
            return "no effect at all"
        if self.shape == "everything":
            return "any effect at all"
        parts = []
        for low, high in self.pieces:
            if low is not None and high is not None:
                parts.append(f"from {number(low)} to {number(high)}")
            elif low is not None:
                parts.append(f"above {number(low)}")
            elif high is not None:
                parts.append(f"below {number(high)}")
            else:
                parts.append("any value")
        return "any effect " + " or ".join(parts)
