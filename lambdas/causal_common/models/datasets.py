"""Dataset manifests: what a dataset holds and what the right answer is."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ColumnRole = Literal["treatment", "outcome", "covariate", "instrument", "identifier", "other"]
ColumnType = Literal["integer", "float", "boolean", "string"]

DATASET_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    dtype: ColumnType
    role: ColumnRole = "other"
    description: str = ""
    # Words a user might use for this column ("earnings", "training").
    synonyms: list[str] = Field(default_factory=list)


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
    data_key: str

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)

    def with_role(self, role: ColumnRole) -> list[Column]:
        return [column for column in self.columns if column.role == role]


def manifest_key(dataset_id: str) -> str:
    return f"{dataset_id}/manifest.json"


def data_key(dataset_id: str) -> str:
    return f"{dataset_id}/data.csv"
