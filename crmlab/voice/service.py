"""Service quality from the tickets table: how fast the first answer and the resolution come,
how many tickets meet a target, what is still open, and how often tickets come back.

Open tickets are the point: a median of closed tickets only leaves out exactly the slow
ones, so it flatters the team, and more so the more is open. Every time here is a
Kaplan-Meier estimate in which a ticket still open at ``as_of`` is censored at its age
(``kaplan_meier``). A ticket resolved without a recorded first response counts as answered
when it was resolved. Tickets opened after ``as_of`` are not yet known and are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.validate import resolve_as_of
from ..errors import DataContractError, ParameterError
from ..units import days_per_unit
from .inputs import PERIODS, group_columns, period_column
from .kaplan_meier import grouping, km_quantiles, km_share_by, km_steps, quantile_name

CLOCKS = {"first_response": "first_response_at", "resolution": "resolved_at"}


def ticket_durations(tickets: pd.DataFrame, as_of, time_unit: str = "h") -> pd.DataFrame:
    """Per ticket opened at or before ``as_of``: ``first_response`` and ``resolution`` times
    in ``time_unit`` (for tickets not yet answered / resolved: their age at ``as_of``),
    ``answered`` and ``resolved`` (False = censored), and ``open`` (still open at as_of).
    Rows keep the table's order and position numbers (the index is reset)."""
    as_of = resolve_as_of(as_of)
    tickets = tickets.reset_index(drop=True)
    unit_hours = 24 * days_per_unit(time_unit)
    if "opened_at" not in tickets.columns:
        raise ParameterError("the tickets table needs opened_at (see docs/data_contract.md).")
    opened = pd.to_datetime(tickets["opened_at"], utc=True)
    known = opened <= as_of
    opened = opened[known]
    resolved_at = _moment(tickets, "resolved_at", known, as_of)
    answered_at = _moment(tickets, "first_response_at", known, as_of)
    answered_at = answered_at.where(answered_at.notna(), resolved_at)  # resolving answers
    _check_order(
        tickets[known], opened, {"resolved_at": resolved_at, "first_response_at": answered_at}
    )
    out = pd.DataFrame(index=opened.index)
    for name, done_at in (("first_response", answered_at), ("resolution", resolved_at)):
        end = done_at.fillna(as_of)
        out[name] = (end - opened).dt.total_seconds().to_numpy() / 3600 / unit_hours
    out["answered"] = answered_at.notna().to_numpy()
    out["resolved"] = resolved_at.notna().to_numpy()
    out["open"] = ~out["resolved"]
    return out


def ticket_times(
    tickets: pd.DataFrame,
    as_of,
    by=None,
    period: str | None = None,
    time_unit: str = "h",
    quantiles=(0.5, 0.9),
) -> pd.DataFrame:
    """Median (and other quantiles of) first-response and resolution times per group,
    Kaplan-Meier with open tickets censored at ``as_of``.

    by: ticket columns to group by (category, channel, ...); period: also group by the
    calendar period the ticket was opened in ("D", "W", "M", "Q"). Returns per group:
    ``tickets``, ``open`` (at as_of), ``first_response_p50``, ``first_response_p90``,
    ``resolution_p50``, ``resolution_p90`` (for the default quantiles) in ``time_unit``;
    NaN where too many are still open to know.
    """
    quantiles = _checked_quantiles(quantiles)
    _, frame, keys, durations = _prepared(tickets, as_of, by, period, time_unit)
    out = _counts(frame, keys, durations)
    split = grouping(frame[keys])  # sorted into groups once for both clocks
    for clock, done in (("first_response", "answered"), ("resolution", "resolved")):
        curves = km_steps(split, durations[clock], durations[done])
        times = km_quantiles(curves, quantiles)
        names = {quantile_name(q): f"{clock}_{quantile_name(q)}" for q in quantiles}
        out = _joined(out, times.rename(columns=names), keys)
    return out


def ticket_kpis(
    tickets: pd.DataFrame,
    as_of,
    by=None,
    period: str | None = None,
    time_unit: str = "h",
    first_response_target: float = 24,
    resolution_target: float = 72,
) -> pd.DataFrame:
    """The service dashboard per group: volume, open, reopen rate, satisfaction, median
    times and the share of tickets meeting each target (targets in ``time_unit``).

    ``first_response_within_target`` and ``resolution_within_target`` are Kaplan-Meier
    estimates of the share done within the target, so a ticket open for less than the
    target still counts for what it will probably do. ``reopen_rate`` is the share of
    resolved tickets reopened at least once (NaN without a ``reopens`` column);
    ``satisfaction`` the mean 1..5 rating where given.
    """
    for name, value in (
        ("first_response_target", first_response_target),
        ("resolution_target", resolution_target),
    ):
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ParameterError(f"{name}={value!r} must be a duration > 0 in time_unit.")
    known, frame, keys, durations = _prepared(tickets, as_of, by, period, time_unit)
    out = _counts(frame, keys, durations)
    out = _joined(out, _reopen_and_satisfaction(known, frame, keys, durations), keys)
    split = grouping(frame[keys])
    for clock, done, target in (
        ("first_response", "answered", first_response_target),
        ("resolution", "resolved", resolution_target),
    ):
        curves = km_steps(split, durations[clock], durations[done])
        times = km_quantiles(curves, [0.5]).rename(columns={"p50": f"{clock}_p50"})
        share = km_share_by(curves, target).rename(columns={"within": f"{clock}_within_target"})
        out = _joined(_joined(out, times, keys), share, keys)
    return out


def backlog(
    tickets: pd.DataFrame, as_of, by=None, time_unit: str = "h", target: float = 72
) -> pd.DataFrame:
    """Tickets still open at ``as_of`` per group: ``open``, ``age_p50``, ``age_p90``,
    ``oldest`` (ages in ``time_unit``) and ``over_target`` (open longer than ``target``).
    Groups with nothing open are not listed."""
    _, frame, keys, durations = _prepared(tickets, as_of, by, None, time_unit)
    age = durations.loc[durations["open"], "resolution"]
    still = frame.loc[age.index, keys].assign(age=age.to_numpy(), over=age.to_numpy() > target)
    columns = {
        "open": ("age", "size"),
        "age_p50": ("age", "median"),
        "age_p90": ("age", lambda a: a.quantile(0.9)),
        "oldest": ("age", "max"),
        "over_target": ("over", "sum"),
    }
    if not keys:
        row = {name: still[col].agg(how) for name, (col, how) in columns.items()}
        return pd.DataFrame([row]).astype({"open": "int64", "over_target": "int64"})
    table = still.groupby(keys, sort=True, dropna=False, observed=True).agg(**columns)
    return table.reset_index().astype({"over_target": "int64"})


def _prepared(tickets, as_of, by, period, time_unit):
    """The tickets known at ``as_of`` with their durations, row for row: (known tickets,
    group columns, group keys, durations), all with a fresh 0..n-1 index."""
    tickets = tickets.reset_index(drop=True)
    keys = group_columns(tickets, by)
    durations = ticket_durations(tickets, as_of, time_unit)
    known = tickets.loc[durations.index].reset_index(drop=True)
    frame = known[keys].copy()
    if period is not None:
        name = PERIODS.get(period, "period")
        frame.insert(0, name, period_column(known, "opened_at", period))
        keys = [name, *keys]
    return known, frame, keys, durations.reset_index(drop=True)


def _counts(frame, keys, durations) -> pd.DataFrame:
    data = pd.DataFrame({"tickets": 1, "open": durations["open"].astype("int64")})
    if not keys:
        return data.sum().to_frame().T.astype("int64")
    data[keys] = frame[keys]
    return data.groupby(keys, sort=True, dropna=False, observed=True).sum().reset_index()


def _reopen_and_satisfaction(tickets, frame, keys, durations) -> pd.DataFrame:
    """Share of resolved tickets reopened at least once, and the mean satisfaction."""
    reopens = tickets["reopens"] if "reopens" in tickets.columns else np.nan
    satisfaction = tickets["satisfaction"] if "satisfaction" in tickets.columns else np.nan
    source = pd.DataFrame(
        {
            "reopen_rate": np.where(
                durations["resolved"], pd.Series(reopens, index=frame.index) > 0, np.nan
            ),
            "satisfaction": pd.to_numeric(
                pd.Series(satisfaction, index=frame.index), errors="coerce"
            ),
        }
    )
    if not np.ndim(reopens):  # no reopens column: unknown, not zero
        source["reopen_rate"] = np.nan
    if not keys:
        return source.mean().to_frame().T
    source[keys] = frame[keys]
    table = source.groupby(keys, sort=True, dropna=False, observed=True).mean()
    return table.reset_index()


def _joined(left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if not keys:
        return pd.concat([left.reset_index(drop=True), right.reset_index(drop=True)], axis=1)
    return left.merge(right, on=keys, how="left")


def _moment(tickets, column, known, as_of) -> pd.Series:
    """A ticket timestamp column, with moments after ``as_of`` (not yet known) as missing."""
    if column not in tickets.columns:
        return pd.Series(pd.NaT, index=known[known].index, dtype="datetime64[us, UTC]")
    moments = pd.to_datetime(tickets.loc[known, column], utc=True)
    return moments.where(moments <= as_of)


def _check_order(tickets, opened, moments: dict) -> None:
    for column, moment in moments.items():
        early = moment.notna() & (moment < opened)
        if early.any():
            examples = tickets.loc[early[early].index].get(
                "ticket_id", early[early].index.to_series()
            )
            raise DataContractError(
                f"tickets: {int(early.sum()):,} ticket(s) have {column} before opened_at "
                f"(e.g. {', '.join(map(str, examples.head(5)))}); data.validate reports and can "
                "set them aside."
            )


def _checked_quantiles(quantiles) -> list[float]:
    values = [quantiles] if isinstance(quantiles, float) else list(quantiles)
    if not values or any(not isinstance(q, float | int) or not 0 < q < 1 for q in values):
        raise ParameterError(
            f"quantiles={quantiles!r}: give shares between 0 and 1, e.g. (0.5, 0.9)."
        )
    return [float(q) for q in values]
