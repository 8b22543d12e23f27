"""The generators of the bundled datasets (pandas, DoWhy, causaldata: the task image and a dev install have them)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Literal

from causal_common.models.datasets import DatasetManifest, GroundTruth, data_key
from causal_datasets.bundled import NSW_EXPERIMENTAL_EFFECT, SYNTHETIC_BETA, SYNTHETIC_ROWS, SYNTHETIC_SEED
from causal_datasets.inference import columns_of

_LALONDE_COLUMNS: list[dict[str, Any]] = [
    {
        "name": "treat",
        "role": "treatment",
        "description": "1 if the person took part in the NSW job-training programme",
        "synonyms": ["training", "job training", "programme", "program", "participation", "treated", "nsw"],
    },
    {"name": "age", "role": "covariate", "description": "age in years", "synonyms": ["age", "years old"]},
    {
        "name": "educ",
        "role": "covariate",
        "description": "years of schooling",
        "synonyms": ["education", "schooling", "years of education"],
    },
    {"name": "black", "role": "covariate", "description": "1 if black", "synonyms": ["race", "black"]},
    {"name": "hisp", "role": "covariate", "description": "1 if hispanic", "synonyms": ["hispanic", "ethnicity"]},
    {"name": "marr", "role": "covariate", "description": "1 if married", "synonyms": ["married", "marriage"]},
    {
        "name": "nodegree",
        "role": "covariate",
        "description": "1 if no high-school degree",
        "synonyms": ["no degree", "dropout", "high school"],
    },
    {
        "name": "re74",
        "role": "covariate",
        "description": "real earnings in 1974 (US$), before the programme",
        "synonyms": ["earnings 1974", "income 1974", "prior earnings"],
    },
    {
        "name": "re75",
        "role": "covariate",
        "description": "real earnings in 1975 (US$), before the programme",
        "synonyms": ["earnings 1975", "income 1975", "prior earnings"],
    },
    {
        "name": "re78",
        "role": "outcome",
        "description": "real earnings in 1978 (US$), after the programme",
        "synonyms": ["earnings", "income", "wages", "salary", "pay", "earnings 1978"],
    },
]


def _synthetic_linear() -> tuple[Any, DatasetManifest]:
    import numpy as np
    from dowhy import datasets as dowhy_datasets

    np.random.seed(SYNTHETIC_SEED)
    with warnings.catch_warnings():
        # DoWhy's generator trips numpy's ndim>0 scalar deprecation once per row.
        warnings.simplefilter("ignore", DeprecationWarning)
        generated = dowhy_datasets.linear_dataset(
            beta=SYNTHETIC_BETA,
            num_common_causes=5,
            num_instruments=1,
            num_samples=SYNTHETIC_ROWS,
            treatment_is_binary=True,
        )
    frame = generated["df"].copy()
    frame["v0"] = frame["v0"].astype(int)
    for name in generated["instrument_names"]:
        frame[name] = frame[name].astype(int)
    described: dict[str, dict[str, Any]] = {
        "v0": {
            "role": "treatment",
            "description": "binary treatment",
            "synonyms": ["treatment", "treated", "intervention", "v0"],
        },
        "y": {
            "role": "outcome",
            "description": "outcome, linear in v0 and W0..W4",
            "synonyms": ["outcome", "result", "response", "y"],
        },
    }
    for name in generated["common_causes_names"]:
        described[name] = {"role": "covariate", "description": "common cause of v0 and y", "synonyms": ["confounder"]}
    for name in generated["instrument_names"]:
        described[name] = {
            "role": "instrument",
            "description": "instrument: moves v0, affects y only through v0",
            "synonyms": ["instrument"],
        }
    manifest = DatasetManifest(
        id="synthetic_linear",
        title="Synthetic linear data with a known effect",
        # What the data are and how they were made; the effect itself lives only in ground_truth.
        description=(
            f"Simulated with DoWhy's linear_dataset: {SYNTHETIC_ROWS} rows, binary treatment v0, outcome y, "
            "common causes W0-W4 that drive both v0 and y, and an instrument Z0 that moves v0 only."
        ),
        design="observational",
        rows=len(frame),
        columns=columns_of(frame, described),
        ground_truth=GroundTruth(
            treatment="v0",
            outcome="y",
            estimand="ate",
            value=SYNTHETIC_BETA,
            source="dowhy.datasets.linear_dataset beta (constant effect)",
        ),
        data_key=data_key("synthetic_linear"),
    )
    return frame, manifest


def _lalonde(
    frame: Any, dataset_id: str, title: str, description: str, design: Literal["randomised", "observational"]
) -> tuple[Any, DatasetManifest]:
    frame = frame.drop(columns=["data_id"]).reset_index(drop=True)
    for name in frame.columns:
        if str(frame[name].dtype).startswith("int"):
            frame[name] = frame[name].astype("int64")
        else:
            frame[name] = frame[name].astype("float64").round(4)
    described = {column["name"]: column for column in _LALONDE_COLUMNS}
    manifest = DatasetManifest(
        id=dataset_id,
        title=title,
        description=description,
        design=design,
        rows=len(frame),
        columns=columns_of(frame, described),
        ground_truth=GroundTruth(
            treatment="treat",
            outcome="re78",
            estimand="att",
            value=NSW_EXPERIMENTAL_EFFECT,
            source="NSW randomised experiment: difference in mean 1978 earnings",
        ),
        data_key=data_key(dataset_id),
    )
    return frame, manifest


def _lalonde_nsw() -> tuple[Any, DatasetManifest]:
    import causaldata

    return _lalonde(
        causaldata.nsw_mixtape.load_pandas().data,
        "lalonde_nsw",
        "Lalonde NSW job-training experiment",
        "National Supported Work Demonstration, 1975-77 (Dehejia-Wahba sample, 445 people): applicants were "
        "randomly assigned to job training (treat = 1) or not; re78 = earnings in 1978, after the programme; "
        "age, schooling, race, marriage, degree and 1974-75 earnings were recorded before assignment.",
        "randomised",
    )


def _lalonde_observational() -> tuple[Any, DatasetManifest]:
    import causaldata
    import pandas as pd

    nsw = causaldata.nsw_mixtape.load_pandas().data
    cps = causaldata.cps_mixtape.load_pandas().data
    frame = pd.concat([nsw[nsw["treat"] == 1], cps], ignore_index=True)
    return _lalonde(
        frame,
        "lalonde_observational",
        "Lalonde NSW trainees vs CPS comparison group (observational)",
        "The 185 NSW job-training participants (treat = 1) against 15,992 respondents of the Current Population "
        "Survey (treat = 0), who were not in the programme and were not chosen at random; re78 = earnings in "
        "1978; age, schooling, race, marriage, degree and 1974-75 earnings describe both groups before training.",
        "observational",
    )


GENERATORS: dict[str, Callable[[], tuple[Any, DatasetManifest]]] = {
    "synthetic_linear": _synthetic_linear,
    "lalonde_nsw": _lalonde_nsw,
    "lalonde_observational": _lalonde_observational,
}
