"""Designs visible in the data's shape, and the rows and treatment a question's words define.

- A panel: a unit-like column repeated across a period-like column (year, quarter, month, date, wave …),
  each (unit, period) pair (nearly) once; with a 0/1 treatment that switches on within units, the design
  is difference in differences, with staggered adoption when units switch on in different periods.
- A group × post layout: a 0/1 treatment that marks a group (constant within units) beside a 0/1 column that
  turns on from some period for every row (a panel), or one named like ``post``/``after`` (repeated cross-sections
  before and after): difference in differences with the treated group from that start.
- A treated group named by value ("the north, from 2019Q3; the other regions did not"): the treatment is
  "in a named group, from the start period on".
- A subgroup ("customers over 50", "in the north"): the rows the estimate is about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from causal_common.errors import InvalidInputError
from causal_common.models.tools import CausalAnalysisArgs, SubgroupCondition
from causal_common.roles import period_marker_name
from causal_tasks.did import period_codes

_PERIOD_NAME = re.compile(
    r"(?:^|[_\s-])(?:year|yr|quarter|qtr|month|mon|date|wave|period|week|wk|round|time|semester|term|day)s?(?:$|[_\s-])|"
    r"^(?:year|yr|quarter|qtr|month|date|wave|period|week|time)",
    re.IGNORECASE,
)
_PERIOD_VALUE = re.compile(r"^(?:(?:19|20)\d\d(?:[-\s]?[qQ][1-4]|-\d\d(?:-\d\d)?)?|[qQ][1-4][-\s]?(?:19|20)\d\d)$")
TREATED_GROUP = "treated_group"


@dataclass
class PanelShape:
    unit: str
    period: str
    layout: str  # switch_on | staggered | group_constant
    adoption: dict[str, int] = field(default_factory=dict)  # adoption period (as text) -> units switching on then


def _period_like(frame: pd.DataFrame, name: str) -> bool:
    series = frame[name].dropna()
    if series.empty or series.nunique() < 2 or series.nunique() > max(60, len(series) // 2):
        return False
    if _PERIOD_NAME.search(str(name)):
        return True
    values = series.astype(str).str.strip()
    return bool(values.str.match(_PERIOD_VALUE).mean() > 0.95)


def _unit_like(name: str, series: pd.Series) -> bool:
    """A column that can name units (text or integers), not a measurement on a continuous scale."""
    return not (pd.api.types.is_float_dtype(series) or pd.api.types.is_bool_dtype(series))


def period_columns(frame: pd.DataFrame, exclude: set[str]) -> list[str]:
    return [str(name) for name in frame.columns if name not in exclude and _period_like(frame, str(name))]


def detect_panel(frame: pd.DataFrame, treatment: str, outcome: str) -> PanelShape | None:
    """The panel the data form, if a unit column repeats across a period column; None for a cross-section."""
    exclude = {treatment, outcome}
    for period in period_columns(frame, exclude):
        for unit in frame.columns:
            unit = str(unit)
            if unit in exclude or unit == period:
                continue
            series = frame[unit]
            units = series.nunique()
            if units < 2 or units > len(frame) / 2 or not _unit_like(unit, series):
                continue
            pairs = frame[[unit, period]].dropna()
            # A panel observes each unit once per period, most units in several periods, each period for many units.
            if pairs.duplicated().any() or pairs[period].nunique() < 2:
                continue
            if frame.groupby(unit)[period].nunique().median() < 2 or frame.groupby(period)[unit].nunique().median() < 2:
                continue
            # Most of the unit × period grid is observed (a panel), not a scatter of coincidentally unique pairs.
            if len(pairs) < 0.5 * units * pairs[period].nunique():
                continue
            return _layout(frame, treatment, unit, period)
    return None


@dataclass
class GroupPost:
    post: str
    period: str  # the column whose values order the before and after (the post column itself without a panel)
    start: float | str  # the first period of the after


def _zero_one(series: pd.Series) -> bool:
    values = set(pd.unique(series.dropna()))
    return pd.api.types.is_numeric_dtype(series) and values == {0, 1}


def group_post(frame: pd.DataFrame, treatment: str, outcome: str, panel: PanelShape | None) -> GroupPost | None:
    """A 0/1 column that marks the after period beside a treatment that marks the treated group.

    In a panel whose treatment is constant within units, the post column must be the same for every row of a
    period and switch from 0 to 1 once, in period order. Without a panel, its name must say it (post, after,
    follow-up, …) and every group × post cell must hold rows.
    """
    if treatment not in frame or not _zero_one(frame[treatment]):
        return None
    taken = {treatment, outcome} | ({panel.unit, panel.period} if panel else set())
    candidates = [str(c) for c in frame.columns if str(c) not in taken and _zero_one(frame[c])]
    if panel is not None:
        if panel.layout != "group_constant":
            return None
        codes, _ = period_codes(frame[panel.period])
        for name in candidates:
            by_period = frame[name].groupby(codes).agg(["min", "max"])
            if (by_period["min"] != by_period["max"]).any():
                continue
            steps = by_period["min"].sort_index().to_numpy()
            if steps[0] == 0 and steps[-1] == 1 and (np.diff(steps) >= 0).all():
                first = by_period.index[np.argmax(by_period["min"].sort_index().to_numpy() == 1)]
                start = frame.loc[codes == first, panel.period].iloc[0]
                return GroupPost(
                    name, panel.period, float(start) if isinstance(start, (int, float, np.number)) else str(start)
                )
        return None
    for name in candidates:
        if not period_marker_name(name):
            continue
        cells = frame.groupby([frame[treatment], frame[name]]).size()
        if len(cells) == 4 and cells.min() >= 2:
            return GroupPost(name, name, 1.0)
    return None


def _layout(frame: pd.DataFrame, treatment: str, unit: str, period: str) -> PanelShape:
    values = pd.to_numeric(frame[treatment], errors="coerce")
    shape = PanelShape(unit=unit, period=period, layout="group_constant")
    if not set(values.dropna().unique()) <= {0, 1}:
        return shape
    if (values.groupby(frame[unit]).nunique() <= 1).all():
        return shape
    codes, _ = period_codes(frame[period])
    ordered = frame.assign(_code=codes, _t=values).sort_values([unit, "_code"])
    firsts: dict[str, int] = {}
    for _, rows in ordered.groupby(unit):
        switched = rows.loc[rows["_t"] == 1]
        if len(switched):
            first = str(rows.loc[switched.index[0], period])
            firsts[first] = firsts.get(first, 0) + 1
    shape.layout = "staggered" if len(firsts) > 1 else "switch_on"
    shape.adoption = dict(sorted(firsts.items()))
    return shape


def start_code(series: pd.Series, start: float | str) -> float:
    """``treatment_start`` as the period code ``did.period_codes`` gives the first period at or after it."""
    codes, kind = period_codes(series)
    if kind == "numeric":
        text = str(start)
        match = re.match(r"((?:19|20)\d\d)", text)
        return float(match.group(1)) if match and not isinstance(start, float) else float(start)
    wanted = str(start).strip().upper().replace(" ", "")
    values = series.astype(str).str.strip().str.upper().str.replace(" ", "", regex=False)
    if kind == "dates":
        moment = pd.to_datetime(str(start), errors="coerce")
        if pd.isna(moment):
            raise InvalidInputError(f"the start {start!r} is not a date like the values of {series.name!r}")
        parsed = pd.to_datetime(series, errors="coerce", format="mixed")
        later = codes[parsed >= moment]
    else:
        later = codes[values >= wanted]
    if later.empty:
        raise InvalidInputError(
            f"no period of {series.name!r} is at or after {start!r} (periods run from {series.min()} to {series.max()})"
        )
    return float(later.min())


def _matches(series: pd.Series, condition: SubgroupCondition) -> pd.Series:
    value = condition.value
    numeric = pd.to_numeric(series, errors="coerce")
    if isinstance(value, float) and numeric.notna().mean() > 0.9:
        compare = numeric
    else:
        compare = series.astype(str).str.strip().str.lower()
        value = str(value).strip().lower()
        if condition.op not in ("==", "!="):
            raise InvalidInputError(f"{condition.column!r} is text: a subgroup on it is '==' or '!=' a value")
    ops = {"==": compare == value, "!=": compare != value}
    if condition.op in ops:
        return ops[condition.op]
    return {">": compare > value, ">=": compare >= value, "<": compare < value, "<=": compare <= value}[condition.op]


def subgroup_rows(frame: pd.DataFrame, conditions: list[SubgroupCondition]) -> tuple[pd.DataFrame, str]:
    """The rows meeting every condition, and their description."""
    mask = pd.Series(True, index=frame.index)
    for condition in conditions:
        if condition.column not in frame.columns:
            raise InvalidInputError(f"subgroup column {condition.column!r} is not in the data")
        mask &= _matches(frame[condition.column], condition)
    text = " and ".join(
        f"{c.column} {c.op} {c.value:g}" if isinstance(c.value, float) else f"{c.column} {c.op} {c.value}"
        for c in conditions
    )
    chosen = frame.loc[mask]
    if len(chosen) < 20:
        raise InvalidInputError(f"only {len(chosen)} rows have {text}: too few to estimate an effect within them")
    return chosen, text


def named_group_treatment(frame: pd.DataFrame, args: CausalAnalysisArgs) -> tuple[pd.DataFrame, CausalAnalysisArgs]:
    """A DiD treatment built from the groups the user named: 1 for rows of a treated group, 0 for the rest."""
    assert args.group_column and args.treated_groups
    if args.group_column not in frame.columns:
        raise InvalidInputError(f"group column {args.group_column!r} is not in the data")
    values = frame[args.group_column].astype(str).str.strip().str.lower()
    wanted = {str(g).strip().lower() for g in args.treated_groups}
    missing = wanted - set(values.unique())
    if missing:
        raise InvalidInputError(
            f"{', '.join(sorted(missing))} is not a value of {args.group_column!r}; it has "
            f"{', '.join(sorted(values.unique())[:12])}"
        )
    treated = values.isin(wanted).astype(float)
    if treated.nunique() < 2:
        raise InvalidInputError(f"every row of {args.group_column!r} is in a treated group: nothing to compare with")
    frame = frame.assign(**{TREATED_GROUP: treated})
    return frame, args.model_copy(update={"treatment": TREATED_GROUP})


def has_variation(values: np.ndarray) -> bool:
    return bool(np.nanstd(values) > 0)


# --- a cutoff visible in the data: the treatment is on exactly on one side of a value of a column -----------------

MIN_SIDE_ROWS = 20  # rows on each side before a separation counts as a cutoff
MIN_DISTINCT = 20  # a running variable takes many values (a code or a count of few levels does not)
MAX_GAP_STEPS = 3.0  # the cutoff's gap may be at most this many of the column's typical steps near it
MIN_SIDE_DISTINCT = 5  # each side takes several values: a dose that is 0 for every untreated row is not a cutoff


@dataclass
class Threshold:
    column: str
    cutoff: float
    side: str  # "above": treated at and above the cutoff; "below": treated below it

    def words(self, treatment: str) -> str:
        where = f"at or above {self.cutoff:g}" if self.side == "above" else f"below {self.cutoff:g}"
        return f"{treatment!r} is on exactly where {self.column!r} is {where} (no row on the wrong side)"


def treatment_zero_one(series: pd.Series, coding: dict[str, float] | None = None) -> pd.Series | None:
    """The treatment as 0/1 floats (text through its coding or the yes/no vocabulary), or None if not two-valued."""
    from causal_tasks.frame import apply_coding, binary_coding

    if pd.api.types.is_bool_dtype(series):
        return series.astype(float)
    if not pd.api.types.is_numeric_dtype(series):
        coding = coding or binary_coding(series)
        if not coding:
            return None
        try:
            series = apply_coding(series, coding, str(series.name))
        except InvalidInputError:
            return None
    values = set(pd.unique(series.dropna()))
    return series.astype(float) if values == {0.0, 1.0} else None


def _typical_step(values: np.ndarray) -> float:
    steps = np.diff(np.unique(values))
    steps = steps[steps > 0]
    return float(np.median(steps)) if len(steps) else 0.0


def cutoff_in(treated: pd.Series, column: pd.Series) -> Threshold | None:
    """The value of ``column`` at which a 0/1 ``treated`` switches, when it separates the rows exactly and the
    column runs continuously through it (its values either side are as close as anywhere near the cutoff).

    A column that separates the groups with a gap (every treated row far above every untreated one) is not a
    cutoff: an outcome the treatment moved a lot looks like that. Nor is one that holds a single value (or a few)
    on one side: the dose of a yes/no treatment (hours, months, amount) is 0 for every untreated row.
    """
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return None
    both = pd.DataFrame({"t": treated, "x": column}).dropna()
    if both.empty or both["x"].nunique() < MIN_DISTINCT:
        return None
    on, off = both.loc[both["t"] == 1, "x"].to_numpy(float), both.loc[both["t"] == 0, "x"].to_numpy(float)
    if len(on) < MIN_SIDE_ROWS or len(off) < MIN_SIDE_ROWS:
        return None
    if len(np.unique(on)) < MIN_SIDE_DISTINCT or len(np.unique(off)) < MIN_SIDE_DISTINCT:
        return None
    if off.max() < on.min():
        side, low, high = "above", off.max(), on.min()
    elif on.max() < off.min():
        side, low, high = "below", on.max(), off.min()
    else:
        return None
    near = both["x"].to_numpy(float)
    spread = np.nanpercentile(near, 75) - np.nanpercentile(near, 25)
    local = near[np.abs(near - (low + high) / 2) <= max(spread / 2, high - low)]
    step = _typical_step(local)
    if step <= 0 or (high - low) > MAX_GAP_STEPS * step:
        return None
    return Threshold(str(column.name), float(high), side)


def detect_cutoff(
    frame: pd.DataFrame, treatment: str, columns: list[str], coding: dict[str, float] | None = None
) -> Threshold | None:
    """The first of ``columns`` at which the treatment switches exactly (see :func:`cutoff_in`)."""
    if treatment not in frame:
        return None
    treated = treatment_zero_one(frame[treatment], coding)
    if treated is None:
        return None
    for name in columns:
        if name in frame and name != treatment:
            found = cutoff_in(treated, frame[name])
            if found is not None:
                return found
    return None
