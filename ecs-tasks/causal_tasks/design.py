"""Choosing the identification design, as ``docs/causal-methods.md`` writes it down.

The order: a design named in the call; a running variable with a cutoff
(regression discontinuity); a period column (difference in differences); an
instrument (instrumental variables); randomised assignment, declared or with
balance consistent with it (randomised comparison); otherwise adjustment for
the measured confounders (backdoor). Roles the call leaves out come from the
dataset's manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from causal_common.errors import InvalidInputError
from causal_common.models.datasets import DatasetManifest
from causal_common.models.tools import CausalAnalysisArgs
from causal_common.roles import never_adjusted_reason

Design = Literal["randomised", "backdoor", "iv", "did", "rdd"]


@dataclass
class DatasetRoles:
    """What the dataset's manifest says about its columns (empty for a bare DataFrame)."""

    covariates: list[str] | None = None
    instruments: list[str] = field(default_factory=list)
    time: str | None = None
    unit: str | None = None
    running: str | None = None
    cutoff: float | None = None
    design: Literal["randomised", "observational"] | None = None
    codings: dict[str, dict[str, float]] = field(default_factory=dict)
    # Column → why the dataset's roles keep it out of the adjustment set (``causal_common.roles``).
    not_adjusted: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_manifest(cls, manifest: DatasetManifest) -> DatasetRoles:
        def first(role: str) -> str | None:
            columns = manifest.with_role(role)  # type: ignore[arg-type]
            return columns[0].name if columns else None

        running = first("running")
        return cls(
            covariates=[column.name for column in manifest.with_role("covariate")],
            instruments=[column.name for column in manifest.with_role("instrument")],
            time=first("time"),
            unit=first("unit"),
            running=running,
            cutoff=running_column.cutoff if (running_column := manifest.column(running or "")) else None,
            design=manifest.design,
            codings={column.name: column.coding for column in manifest.columns if column.coding},
            not_adjusted={
                column.name: reason for column in manifest.columns if (reason := never_adjusted_reason(column))
            },
            descriptions={column.name: column.description for column in manifest.columns if column.description},
        )


@dataclass
class DesignChoice:
    design: Design
    reason: str
    instruments: list[str] = field(default_factory=list)
    time: str | None = None
    unit: str | None = None
    running: str | None = None
    cutoff: float | None = None


def choose(args: CausalAnalysisArgs, roles: DatasetRoles) -> DesignChoice:
    """The design from the call's arguments, then the manifest's roles (data-driven randomisation comes later)."""
    instruments = list(args.instruments or []) or list(roles.instruments)
    time = args.time or roles.time
    unit = args.unit or roles.unit
    running = args.running or roles.running
    cutoff = args.cutoff if args.cutoff is not None else (roles.cutoff if running == roles.running else None)
    instruments = [name for name in instruments if name not in (args.treatment, args.outcome)]
    requested = args.design
    if requested == "rdd" or (requested == "auto" and running and cutoff is not None):
        if not running or cutoff is None:
            raise InvalidInputError(
                "a regression discontinuity needs a running variable and its cutoff "
                "(arguments `running` and `cutoff`, or the dataset's running role)"
            )
        source = "named in the call" if args.running else "the dataset's running-variable role"
        return DesignChoice(
            "rdd",
            f"regression discontinuity: treatment switches where {running!r} crosses "
            f"{cutoff:g} ({source}), so units just either side of the cutoff are compared",
            running=running,
            cutoff=cutoff,
        )
    if requested == "did" or (requested == "auto" and time):
        if not time:
            raise InvalidInputError(
                "difference in differences needs a period column (argument `time`, or the dataset's time role)"
            )
        source = "named in the call" if args.time else "the dataset's time role"
        return DesignChoice(
            "did",
            f"difference in differences: the data have periods ({time!r}, {source}), so the "
            "change in the treated is compared with the change in the untreated",
            time=time,
            unit=unit,
        )
    if requested == "iv" or (requested == "auto" and instruments):
        if not instruments:
            raise InvalidInputError(
                "an instrumental-variable design needs an instrument (argument `instruments`, "
                "or the dataset's instrument role)"
            )
        source = "named in the call" if args.instruments else "the dataset's instrument role"
        return DesignChoice(
            "iv",
            f"instrumental variables: {', '.join(instruments)} ({source}) "
            f"{'moves' if len(instruments) == 1 else 'move'} the treatment and "
            f"{'is' if len(instruments) == 1 else 'are'} assumed to reach the outcome only through it",
            instruments=instruments,
        )
    if requested == "randomised" or (requested == "auto" and roles.design == "randomised"):
        source = "requested in the call" if requested == "randomised" else "declared in the dataset's description"
        return DesignChoice("randomised", f"randomised comparison: assignment was random ({source})")
    return DesignChoice(
        "backdoor",
        "adjustment for measured confounders (backdoor): no instrument, period or "
        "running variable is given and assignment is not declared random",
    )
