"""Dataset manifests: what a dataset holds and what the right answer is."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# treatment/outcome/covariate: the backdoor roles; instrument: moves the treatment, reaches the outcome only
# through it; time/unit: the period and the unit of panel data (difference in differences); running: the
# variable whose cutoff assigns treatment (regression discontinuity); identifier, date and text columns are
# never adjusted for; excluded: left out on purpose (e.g. measured after the treatment).
ColumnRole = Literal[
    "treatment",
    "outcome",
    "covariate",
    "instrument",
    "time",
    "unit",
    "running",
    "identifier",
    "date",
    "text",
    "excluded",
    "other",
]
ColumnType = Literal["integer", "float", "boolean", "string"]

DATASET_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
# The datasets the deployer publishes (with known answers); an upload may not take their ids.
BUNDLED_DATASET_IDS = ("synthetic_linear", "lalonde_nsw", "lalonde_observational")


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    dtype: ColumnType
    role: ColumnRole = "other"
    description: str = ""
    # Words a user might use for this column ("earnings", "training").
    synonyms: list[str] = Field(default_factory=list)
    # The distinct values of a column with few of them (as text), so questions can name a level.
    levels: list[str] | None = None
    # How text values were coded as numbers for analysis, e.g. {"yes": 1, "no": 0}.
    coding: dict[str, float] | None = None
    # Regression discontinuity: the value of a ``running`` column at which treatment switches on.
    cutoff: float | None = None

    @property
    def binary(self) -> bool:
        """Two values (0/1, true/false, or text coded as two numbers)."""
        if self.dtype == "boolean":
            return True
        if self.coding is not None:
            return sorted(set(self.coding.values())) == [0.0, 1.0]
        return self.levels is not None and sorted(self.levels) in (["0", "1"], ["0.0", "1.0"])


class GroundTruth(BaseModel):
    model_config = ConfigDict(extra="forbid")

    treatment: str
    outcome: str
    estimand: Literal["ate", "att"]
    value: float
    source: str


class DatasetManifest(BaseModel):
    """Stored as ``<id>/manifest.json`` beside ``<id>/data.csv`` in the datasets bucket."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=DATASET_ID_PATTERN)
    title: str
    description: str
    rows: int
    columns: list[Column]
    ground_truth: GroundTruth | None = None
    origin: Literal["bundled", "uploaded"] = "bundled"
    # How treatment was assigned, when the data's owner says so; None means not declared.
    design: Literal["randomised", "observational"] | None = None
    # The user who uploaded it (None for bundled datasets).
    owner: str | None = None
    data_key: str

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)

    def with_role(self, role: ColumnRole) -> list[Column]:
        return [column for column in self.columns if column.role == role]


def manifest_key(dataset_id: str) -> str:
    return f"{dataset_id}/manifest.json"


def data_key(dataset_id: str) -> str:
    return f"{dataset_id}/data.csv"
