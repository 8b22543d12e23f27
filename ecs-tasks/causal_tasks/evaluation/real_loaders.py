"""The real data sets of the evaluation, loaded from the packages that ship them (nothing is downloaded).

Each loader returns the data as its package ships it, with small integer and float32 columns widened to float64:
causaldata stores age, schooling and indicators as int8, which overflows in squares and products.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _widened(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for name in frame.columns:
        dtype = frame[name].dtype
        if (pd.api.types.is_integer_dtype(dtype) and dtype.itemsize < 8) or dtype == np.float32:
            frame[name] = frame[name].astype("float64")
    return frame


def nhefs(complete: bool = True) -> pd.DataFrame:
    """NHEFS (What If): 1,566 smokers with both weights measured, or all 1,629 (63 without the 1982 weight).

    causaldata stores sex, race, education, exercise and activity as ordered categoricals with text levels:
    sex and race become 0/1 numbers; education, exercise and activity stay categories (text levels), as the
    book enters them (``C(education)`` …), and the pipeline one-hot encodes them.
    """
    import causaldata

    source = causaldata.nhefs_complete if complete else causaldata.nhefs
    frame = _widened(source.load_pandas().data)
    for name in ("sex", "race"):
        frame[name] = frame[name].astype(str).astype(float)
    for name in ("education", "exercise", "active"):
        frame[name] = frame[name].astype(str)
    return frame


def nsw_experimental() -> pd.DataFrame:
    """NSW job-training experiment, Dehejia–Wahba sample: 185 trainees and 260 randomised controls."""
    import causaldata

    return _widened(causaldata.nsw_mixtape.load_pandas().data.drop(columns=["data_id"]))


def nsw_cps() -> pd.DataFrame:
    """The 185 NSW trainees against the 15,992 CPS-1 respondents (no experimental controls)."""
    import causaldata

    nsw = causaldata.nsw_mixtape.load_pandas().data
    cps = causaldata.cps_mixtape.load_pandas().data
    frame = pd.concat([nsw[nsw["treat"] == 1], cps], ignore_index=True).drop(columns=["data_id"])
    return _widened(frame)


def close_college() -> pd.DataFrame:
    """Card (1995) NLSYM extract as the Mixtape uses it: 3,010 men, 8 columns (7 without ``married``)."""
    import causaldata

    return _widened(causaldata.close_college.load_pandas().data)


def card() -> pd.DataFrame:
    """Card (1995) full extract (Wooldridge's CARD): 3,010 men, 34 columns."""
    from linearmodels.datasets import card as card_data

    return _widened(card_data.load())


def jobtraining() -> pd.DataFrame:
    """Michigan job-training grants (Wooldridge's JTRAIN): 157 firms × 1987–89; the scrap rate for 54 of them."""
    from linearmodels.datasets import jobtraining as jobtraining_data

    return _widened(jobtraining_data.load())


def close_elections() -> pd.DataFrame:
    """US House elections (Lee, Moretti & Butler 2004), as the Mixtape ships them: 13,588 district-years."""
    import causaldata

    frame = _widened(causaldata.close_elections_lmb.load_pandas().data)
    frame["state"] = frame["state"].astype(str)
    return frame


def senate() -> pd.DataFrame:
    """US Senate elections (Cattaneo, Frandsen & Titiunik 2015), rdrobust's illustration data: 1,390 races.

    The data hold the margin, not a win column; ``democrat_won`` (margin ≥ 0) is the treatment the question
    names, as a user would add it.
    """
    from rdrobust.datasets import rdrobust_RDsenate

    frame = _widened(rdrobust_RDsenate())
    frame["democrat_won"] = (frame["margin"] >= 0).astype(float)
    return frame
