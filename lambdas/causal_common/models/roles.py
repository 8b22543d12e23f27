"""What the user said about the adjustment set, and the set decided from it and the dataset's roles."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AdjustmentInstructions(BaseModel):
    """The user's instructions about what to adjust for (from the question or a reply)."""

    model_config = ConfigDict(extra="forbid")

    only: list[str] | None = None  # exactly these
    also: list[str] = Field(default_factory=list)
    exclude: dict[str, str] = Field(default_factory=dict)  # column → the user's reason
    none: bool = False


class AdjustmentDecision(BaseModel):
    """The columns adjusted for, every other column with why not, and the adjusted ones worth asking about."""

    model_config = ConfigDict(extra="forbid")

    common_causes: list[str]
    left_out: dict[str, str] = Field(default_factory=dict)
    # Adjusted-for columns that may be measured after the treatment, with the reason.
    suspects: dict[str, str] = Field(default_factory=dict)
