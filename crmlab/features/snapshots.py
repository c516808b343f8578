"""Point-in-time churn snapshots: features from before a cutoff, the label from after it.

One row per (customer, cutoff). Features use only events known at the cutoff (at or before
it: the house rule for every ``as_of``); the label looks only at (cutoff, cutoff + horizon].
An event exactly at the cutoff is a feature, never the label.

A purchase is a completed order net of the refunds that name it (``refund_of``) once they
are known: at the cutoff for features, at the end of the label window for the label (the
same definition as ``features.OrdersView``). An order refunded in full by then is no
purchase.

Non-contractual label (a shop): ``churned`` = no purchase in (cutoff, cutoff +
horizon]. Contractual label (a subscription): pass ``cancellations`` (customer_id,
cancelled_at); ``churned`` = cancelled in the window, and customers who cancelled before the
cutoff are not in the snapshot.

Who is in a snapshot: customers whose first completed order is before the cutoff and, with
``active_within_days`` (default 365), whose last order is within that many days of it: a
customer gone for years is not a retention target and would only make the model look good.

Features (times in days, counts of completed orders, money in the data's currency):
tenure_days, recency_days, n_orders, revenue, avg_order_value, orders_30d/90d/180d/365d,
revenue_90d/365d, order_trend (orders_90d x 365/90 / orders_365d: 1 = steady, < 1 slowing),
ipt_mean_days / ipt_std_days (gaps between orders), recency_vs_gap (recency / mean gap),
refund_rate (refund rows / all order rows), share_<channel> (channel mix; the channels
most used before the first cutoff), touchpoints_90d,
email_opens_90d, visits_90d (views and visits), days_since_touchpoint, tickets_365d,
tickets_open (opened at or before the cutoff and not resolved by then), days_since_ticket,
slow_tickets_365d (tickets of the last year that took more than SLOW_TICKET_DAYS to resolve,
or had been open that long at the cutoff: how the customer was served, not just how often),
last_nps, nps_change (last minus the one before), campaign_contacts_365d (treated
assignments), signup_channel (categorical). ``crmlab.churn.snapshots`` adds p_alive (BG/NBD
at the cutoff) on request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from ..data.container import CRMData
from ..data.validate import resolve_as_of
from ..engines import connect
from ..errors import ParameterError
from ..sql import days_between, exact_avg, exact_stddev_samp, exact_sum, sql_literal
from ..units import check_days, days_interval
from .inputs import table_view
from .orders_view import is_refund

SLOW_TICKET_DAYS = 5  # a ticket resolved later than this was handled slowly
MAX_CHANNELS = 8  # channel-mix columns for the most frequent channels only
CATEGORICAL = ("signup_channel",)
ID_COLUMNS = ("customer_id", "cutoff", "churned")
# when a ticket stopped counting as open, as seen at the cutoff: its resolution, or the cutoff
_RESOLVED_BY_CUTOFF = "CASE WHEN t.resolved_at <= k.cutoff THEN t.resolved_at ELSE k.cutoff END"


@dataclass(frozen=True)
class Snapshots:
    """Churn snapshots and what a model needs to know about them.

    table: one row per (customer_id, cutoff) with ``churned`` (0/1, absent when unlabelled)
        and the feature columns. numeric / categorical: the feature column names.
    horizon_days: the label window after each cutoff (None for a cross-sectional table).
    channels: the channel-mix columns built (pass them when scoring, so columns match).
    label: what churned means. split: how this part was split off (see ``churn.split``).
    excluded: (column, reason) for each column of a subscriber table kept out of the
        features (``subscriber_snapshots``). unlabelled: rows left out for a blank label.
    """

    table: pd.DataFrame
    numeric: tuple[str, ...]
    categorical: tuple[str, ...] = ()
    horizon_days: float | None = None
    channels: tuple[str, ...] = ()
    label: str = "no order in horizon"
    split: str = ""
    excluded: tuple[tuple[str, str], ...] = ()
    unlabelled: int = 0

    def __len__(self) -> int:
        return len(self.table)

    @property
    def features(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    @property
    def cutoffs(self) -> list[pd.Timestamp]:
        return sorted(self.table["cutoff"].dropna().unique()) if "cutoff" in self.table else []

    @property
    def excluded_table(self) -> pd.DataFrame:
        """The excluded columns as a table: column, reason."""
        return pd.DataFrame(list(self.excluded), columns=["column", "reason"])

    def with_table(self, table: pd.DataFrame, **changes) -> Snapshots:
        """The same description over other rows (a split, a subset)."""
        return replace(self, table=table, **changes)


def cutoff_schedule(
    as_of, n_cutoffs: int = 6, spacing_days: float = 30, horizon_days: float = 90
) -> list[pd.Timestamp]:
    """``n_cutoffs`` cutoffs ``spacing_days`` apart, the last one ``horizon_days`` before
    ``as_of`` (so every label window is complete), oldest first."""
    if n_cutoffs < 1 or spacing_days <= 0:
        raise ParameterError(f"n_cutoffs={n_cutoffs} must be >= 1 and spacing_days > 0.")
    check_days(horizon_days, "horizon_days")
    last = resolve_as_of(as_of) - pd.Timedelta(days=horizon_days)
    return [last - pd.Timedelta(days=spacing_days * k) for k in range(n_cutoffs - 1, -1, -1)]


def churn_snapshots(
    data: CRMData,
    cutoffs,
    horizon_days: float = 90,
    active_within_days: float | None = 365,
    cancellations: pd.DataFrame | None = None,
    labelled: bool = True,
    channels: list[str] | tuple[str, ...] | None = None,
    engine=None,
) -> Snapshots:
    """Churn snapshots for each cutoff (see the module docstring for every definition).

    data: a loaded data set (orders required; touchpoints, tickets, surveys, assignments
        used when present). cutoffs: timestamps (naive means UTC), each with its label
        window inside the data (cutoff + horizon_days <= data.as_of).
    labelled=False: features only (no ``churned``), e.g. at ``data.as_of`` to score customers
        today; the cutoffs then only need to be inside the data.
    channels: the channel-mix columns to build; default: the most used before the first
        cutoff. Pass ``training.channels`` when scoring, so the columns match.
    engine: where the SQL runs (``crmlab.engines``).
    """
    if not isinstance(data, CRMData):
        raise ParameterError(
            f"data must be a CRMData (crmlab.data.load), not {type(data).__name__}: snapshots "
            "read orders, customers and, where present, touchpoints, tickets and surveys."
        )
    check_days(horizon_days, "horizon_days")
    cuts = sorted({resolve_as_of(c) for c in ([cutoffs] if _scalar(cutoffs) else cutoffs)})
    if not cuts:
        raise ParameterError("cutoffs is empty: give at least one timestamp.")
    with connect(engine) as sql:
        linked = _register(sql, data, cuts, cancellations)
        _check_cutoffs(sql, data.as_of, cuts, horizon_days if labelled else 0)
        sql.create_view("known", _known_sql(linked))
        channels = _top_channels(sql) if channels is None else list(channels)
        sql.create_table("hist", _hist_sql(channels))
        frame = sql.frame(
            _sql(channels, cancellations is not None, cuts, linked),
            {"h": days_interval(horizon_days), "active": active_within_days},
        )
    frame["cutoff"] = pd.to_datetime(frame["cutoff"], utc=True)
    frame["churned"] = frame["churned"].astype("int64")
    numeric = [c for c in frame.columns if c not in ID_COLUMNS and c not in CATEGORICAL]
    frame[numeric] = frame[numeric].astype("float64")
    if frame.empty:
        raise ParameterError(
            f"no customer bought within {active_within_days} days before any cutoff: nothing to "
            "snapshot. Use later cutoffs or active_within_days=None."
        )
    if not labelled:
        frame = frame.drop(columns="churned")
    elif (frame["churned"] == 1).all():
        raise ParameterError(
            "no customer bought after any cutoff: every label is 'churned'. The data probably "
            "end before cutoff + horizon_days; use earlier cutoffs or a shorter horizon."
        )
    return Snapshots(
        frame,
        numeric=tuple(numeric),
        categorical=tuple(c for c in CATEGORICAL if c in frame),
        horizon_days=float(horizon_days),
        channels=tuple(channels),
        label="cancelled in horizon" if cancellations is not None else "no order in horizon",
    )


def _scalar(value) -> bool:
    return isinstance(value, (str, pd.Timestamp)) or hasattr(value, "year")


def _check_cutoffs(sql, as_of: pd.Timestamp, cuts: list[pd.Timestamp], horizon_days) -> None:
    late = [c for c in cuts if c + pd.Timedelta(days=horizon_days) > as_of]
    if late and horizon_days == 0:
        raise ParameterError(
            f"cutoff(s) {[f'{c:%Y-%m-%d}' for c in late]} are after the data's as_of "
            f"({as_of:%Y-%m-%d}): there is nothing to score there yet."
        )
    if late:
        raise ParameterError(
            f"cutoff(s) {[f'{c:%Y-%m-%d}' for c in late]} + horizon_days={horizon_days} end "
            f"after the data's as_of ({as_of:%Y-%m-%d}): their labels are unknown. Use "
            f"cutoffs <= {as_of - pd.Timedelta(days=horizon_days):%Y-%m-%d}."
        )
    first = sql.frame("SELECT min(ordered_at) AS t FROM orders_source")["t"].iloc[0]
    early = [c for c in cuts if pd.isna(first) or c < first]
    if early:
        shown = "there are none" if pd.isna(first) else f"{first:%Y-%m-%d}"
        raise ParameterError(
            f"cutoff(s) {[f'{c:%Y-%m-%d}' for c in early]} are before the first order "
            f"({shown}): nobody has a history there."
        )


def _register(sql, data: CRMData, cuts, cancellations) -> bool:
    """Views over the data set's tables, pandas or already on the engine (empty stand-ins
    for absent ones). True when refunds name their orders (``refund_of``), so purchases are
    netted per cutoff."""
    present = table_view(
        sql,
        "orders_all",
        data.orders,
        "orders",
        {
            "customer_id": None,
            "order_id": "CAST(NULL AS VARCHAR)",
            "ordered_at": None,
            "amount": None,
            "status": "CAST(NULL AS VARCHAR)",
            "channel": "CAST(NULL AS VARCHAR)",
            "refund_of": "CAST(NULL AS VARCHAR)",
        },
    )
    # the one definition of a refund (orders_view): tables on a cluster are not validated,
    # so one without a status column marks its refunds by a negative amount only
    refund = is_refund(present)
    sql.create_view(
        "orders_source",
        f"SELECT customer_id, order_id, ordered_at, amount, {refund} AS refund, "
        "coalesce(CAST(channel AS VARCHAR), 'unknown') AS channel FROM orders_all",
    )
    links = f"{refund} AND refund_of IS NOT NULL"
    linked = {"refund_of", "order_id"} <= present and bool(
        sql.frame(f"SELECT count(*) AS n FROM orders_all WHERE {links}")["n"].iloc[0]
    )
    sql.create_view(
        "links_source",
        "SELECT refund_of, ordered_at AS refunded_at, amount FROM orders_all "
        f"WHERE {links if linked else 'false'}",
    )
    sql.register("cutoffs_source", pd.DataFrame({"cutoff": pd.DatetimeIndex(cuts)}))
    table_view(
        sql,
        "customers_all",
        data.customers,
        "customers",
        {"customer_id": None, "signup_channel": "CAST(NULL AS VARCHAR)"},
    )
    sql.create_view(
        "customers_source", "SELECT customer_id, signup_channel AS s FROM customers_all"
    )
    for name, table, columns in (
        ("touchpoints_source", "touchpoints", ["customer_id", "occurred_at", "kind"]),
        ("surveys_source", "surveys", ["customer_id", "answered_at", "nps"]),
    ):
        table_view(sql, name, getattr(data, table), table, dict.fromkeys(columns))
    table_view(
        sql,
        "tickets_source",
        data.tickets,
        "tickets",
        {"customer_id": None, "opened_at": None, "resolved_at": "CAST(NULL AS TIMESTAMPTZ)"},
    )
    _contacts_view(sql, data)
    if cancellations is not None:
        missing = {"customer_id", "cancelled_at"} - set(cancellations.columns)
        if missing:
            raise ParameterError(f"cancellations lacks column(s) {sorted(missing)}.")
        cancel = cancellations[["customer_id", "cancelled_at"]].copy()
        cancel["cancelled_at"] = pd.to_datetime(cancel["cancelled_at"], utc=True)
        sql.register("cancellations_source", cancel)
    return linked


def _top_channels(sql) -> list[str]:
    """The most used channels, chosen from purchases known at the first cutoff (so later
    events cannot change the columns)."""
    top = sql.frame(
        "SELECT channel, count(*) AS n FROM known WHERE purchase AND cutoff = (SELECT "
        "min(cutoff) FROM cutoffs_source) GROUP BY channel ORDER BY n DESC, channel "
        f"LIMIT {MAX_CHANNELS}"
    )
    return top["channel"].tolist()


def _known_sql(linked: bool) -> str:
    """View ``known``: every order row known at each cutoff, with ``amount`` net of the
    refunds naming it that are known by then and ``purchase`` (a completed order not refunded
    in full). Without linked refunds a purchase is simply a completed order."""
    if not linked:
        return """
            SELECT o.customer_id, k.cutoff, o.ordered_at, o.channel, o.refund, o.amount,
                   NOT o.refund AS purchase
            FROM orders_source o JOIN cutoffs_source k ON o.ordered_at <= k.cutoff"""
    return f"""
        WITH netted AS (
            SELECT l.refund_of AS order_id, k.cutoff, {exact_sum("l.amount")} AS refunded
            FROM links_source l JOIN cutoffs_source k ON l.refunded_at <= k.cutoff
            GROUP BY l.refund_of, k.cutoff)
        SELECT o.customer_id, k.cutoff, o.ordered_at, o.channel, o.refund,
               o.amount + coalesce(n.refunded, 0) AS amount,
               NOT o.refund AND o.amount + coalesce(n.refunded, 0) > 0 AS purchase
        FROM orders_source o JOIN cutoffs_source k ON o.ordered_at <= k.cutoff
        LEFT JOIN netted n ON n.order_id = o.order_id AND n.cutoff = k.cutoff"""


def _contacts_view(sql, data: CRMData) -> None:
    """View ``contacts_source``: assignments to a non-control arm (the customer was
    contacted); the control arm is the campaign's ``control_variant``, else 'control'."""
    table_view(
        sql,
        "assignments_all",
        data.assignments,
        "assignments",
        dict.fromkeys(["customer_id", "campaign_id", "variant", "assigned_at"]),
    )
    table_view(
        sql,
        "campaigns_all",
        data.campaigns,
        "campaigns",
        {"campaign_id": None, "control_variant": "CAST(NULL AS VARCHAR)"},
    )
    sql.create_view(
        "contacts_source",
        """SELECT a.customer_id, a.assigned_at
           FROM assignments_all a LEFT JOIN campaigns_all c ON c.campaign_id = a.campaign_id
           WHERE a.variant IS DISTINCT FROM coalesce(c.control_variant, 'control')""",
    )


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.lower())


def _hist_sql(channels: list[str]) -> str:
    """Order history per (customer, cutoff), known at the cutoff: a temp table read by the
    feature query."""
    mix = _mix(channels)

    def within(days: int) -> str:
        return f"purchase AND ordered_at > cutoff - to_days({days})"

    def recent(days: int) -> str:
        return f"count(*) FILTER (WHERE {within(days)})"

    return f"""
        SELECT customer_id, cutoff,
               {days_between("min(ordered_at) FILTER (WHERE purchase)", "cutoff")}
                   AS tenure_days,
               {days_between("max(ordered_at) FILTER (WHERE purchase)", "cutoff")}
                   AS recency_days,
               count(*) FILTER (WHERE purchase) AS n_orders,
               coalesce({exact_sum("amount", "purchase")}, 0) AS revenue,
               {exact_avg("amount", "purchase")} AS avg_order_value,
               {recent(30)} AS orders_30d,
               {recent(90)} AS orders_90d,
               {recent(180)} AS orders_180d,
               {recent(365)} AS orders_365d,
               coalesce({exact_sum("amount", within(90))}, 0) AS revenue_90d,
               coalesce({exact_sum("amount", within(365))}, 0) AS revenue_365d,
               count(*) FILTER (WHERE refund) / count(*) AS refund_rate,
               {mix}
        FROM known
        GROUP BY customer_id, cutoff
        HAVING count(*) FILTER (WHERE purchase) > 0
    """


def _mix(channels: list[str]) -> str:
    # nullif: HAVING drops customers without purchases, but Spark may compute the share for
    # them first, and in ANSI mode (Spark 4's default) dividing by zero is an error
    return ",\n".join(
        f"count(*) FILTER (WHERE purchase AND channel = {sql_literal(c)})"
        f' / nullif(count(*) FILTER (WHERE purchase), 0) AS "share_{_safe(c)}"'
        for c in channels
    )


def _literal(cutoff: pd.Timestamp) -> str:
    return f"TIMESTAMPTZ '{cutoff.isoformat()}'"


def _touch_sql(cutoffs: list[pd.Timestamp]) -> str:
    """Touchpoint features for every cutoff in one pass over the (large) touchpoints table.

    One GROUP BY customer computes, per cutoff, filtered counts in the 90 days before it and
    the last touchpoint before it; the wide result is then unpivoted to (customer, cutoff).
    A join of touchpoints with cutoffs (range or ASOF join) took 3x as long at 21 million
    touchpoints.
    """
    wide = []
    for i, c in enumerate(cutoffs):
        inside = f"occurred_at <= {_literal(c)} AND occurred_at > {_literal(c)} - to_days(90)"
        wide += [
            f"count(*) FILTER (WHERE {inside}) AS n{i}",
            f"count(*) FILTER (WHERE {inside} AND kind = 'email_open') AS e{i}",
            f"count(*) FILTER (WHERE {inside} AND kind IN ('view', 'visit')) AS v{i}",
            f"max(occurred_at) FILTER (WHERE occurred_at <= {_literal(c)}) AS l{i}",
        ]
    per_cutoff = " UNION ALL ".join(
        f"SELECT customer_id, {_literal(c)} AS cutoff, n{i} AS touchpoints_90d, "
        f"e{i} AS email_opens_90d, v{i} AS visits_90d, "
        f"{days_between(f'l{i}', _literal(c))} AS days_since_touchpoint FROM touch_wide "
        f"WHERE l{i} IS NOT NULL"
        for i, c in enumerate(cutoffs)
    )
    return f"""
        WITH touch_wide AS (SELECT customer_id, {", ".join(wide)}
                            FROM touchpoints_source GROUP BY customer_id)
        {per_cutoff}
    """


def _gaps_sql(linked: bool) -> str:
    """CTE ``gaps``: days between a customer's consecutive purchases, per cutoff. Without
    linked refunds the purchases of a cutoff are a prefix of one sequence, so the gaps are
    computed once (a window over the orders, not over orders x cutoffs)."""
    if linked:  # an order refunded in full drops out of the sequence from then on
        return f"""gaps AS (
        SELECT customer_id, cutoff, {_gap("customer_id, cutoff")} AS gap
        FROM known WHERE purchase)"""
    return f"""once AS (
        SELECT customer_id, ordered_at, {_gap("customer_id")} AS gap
        FROM orders_source WHERE NOT refund),
    gaps AS (
        SELECT g.customer_id, k.cutoff, g.gap
        FROM once g JOIN cutoffs_source k ON g.ordered_at <= k.cutoff)"""


def _gap(partition: str) -> str:
    previous = f"lag(ordered_at) OVER (PARTITION BY {partition} ORDER BY ordered_at)"
    return days_between(previous, "ordered_at")


def _label_sql(contractual: bool, linked: bool) -> tuple[str, str, str, str]:
    """The label as joins (Spark has no correlated EXISTS in a SELECT list): the label
    expression, its CTEs, its join onto ``hist h``, and the filter dropping customers who
    cancelled before the cutoff (contractual)."""
    if contractual:
        ctes = """cancelled AS (
        SELECT h.customer_id, h.cutoff,
               max(CASE WHEN x.cancelled_at > h.cutoff AND x.cancelled_at <= h.cutoff + $h
                        THEN 1 ELSE 0 END) AS in_window,
               max(CASE WHEN x.cancelled_at <= h.cutoff THEN 1 ELSE 0 END) AS before
        FROM hist h JOIN cancellations_source x ON x.customer_id = h.customer_id
        GROUP BY h.customer_id, h.cutoff)"""
        join = "LEFT JOIN cancelled lab USING (customer_id, cutoff)"
        return "coalesce(lab.in_window, 0)", ctes, join, "AND coalesce(lab.before, 0) = 0"
    # a purchase in the label window: net of the refunds known when the window closes
    # (summed exactly, as the features' netting: refunds adding up to the order cancel it)
    netting = (
        f"""window_refunds AS (
        SELECT w.order_id, w.cutoff, {exact_sum("l.amount")} AS refunded
        FROM (SELECT DISTINCT order_id, cutoff FROM window_orders) w
        JOIN links_source l ON l.refund_of = w.order_id AND l.refunded_at <= w.cutoff + $h
        GROUP BY w.order_id, w.cutoff),"""
        if linked
        else ""
    )
    kept = (
        """LEFT JOIN window_refunds r ON r.order_id = w.order_id AND r.cutoff = w.cutoff
        WHERE w.amount + coalesce(r.refunded, 0) > 0"""
        if linked
        else ""
    )
    ctes = f"""window_orders AS (
        SELECT h.customer_id, h.cutoff, x.order_id, x.amount
        FROM hist h JOIN orders_source x ON x.customer_id = h.customer_id AND NOT x.refund
             AND x.ordered_at > h.cutoff AND x.ordered_at <= h.cutoff + $h),
    {netting}
    bought AS (
        SELECT w.customer_id, w.cutoff, 1 AS bought FROM window_orders w {kept}
        GROUP BY w.customer_id, w.cutoff)"""
    join = "LEFT JOIN bought b USING (customer_id, cutoff)"
    return "CASE WHEN b.bought IS NULL THEN 1 ELSE 0 END", ctes, join, ""


def _sql(channels: list[str], contractual: bool, cutoffs: list[pd.Timestamp], linked: bool) -> str:
    label, label_ctes, label_join, cancelled_before = _label_sql(contractual, linked)
    return f"""
    WITH {_gaps_sql(linked)},
    {label_ctes},
    ipt AS (
        SELECT customer_id, cutoff, {exact_avg("gap")} AS ipt_mean_days,
               {exact_stddev_samp("gap")} AS ipt_std_days
        FROM gaps WHERE gap IS NOT NULL
        GROUP BY customer_id, cutoff
    ),
    touch AS ({_touch_sql(cutoffs)}),
    tick AS (
        SELECT t.customer_id, k.cutoff,
               count(*) FILTER (WHERE t.opened_at > k.cutoff - to_days(365)) AS tickets_365d,
               count(*) FILTER (WHERE t.resolved_at IS NULL OR t.resolved_at > k.cutoff)
                   AS tickets_open,
               {days_between("max(t.opened_at)", "k.cutoff")} AS days_since_ticket,
               count(*) FILTER (
                   WHERE t.opened_at > k.cutoff - to_days(365)
                     AND {days_between("t.opened_at", _RESOLVED_BY_CUTOFF)} > {SLOW_TICKET_DAYS}
               ) AS slow_tickets_365d
        FROM tickets_source t JOIN cutoffs_source k ON t.opened_at <= k.cutoff
        GROUP BY t.customer_id, k.cutoff
    ),
    answers AS (
        SELECT s.customer_id, k.cutoff, s.nps,
               row_number() OVER (PARTITION BY s.customer_id, k.cutoff
                                  ORDER BY s.answered_at DESC, s.nps DESC) AS latest
        FROM surveys_source s JOIN cutoffs_source k ON s.answered_at <= k.cutoff
    ),
    nps AS (
        SELECT customer_id, cutoff, max(nps) FILTER (WHERE latest = 1) AS last_nps,
               max(nps) FILTER (WHERE latest = 1) - max(nps) FILTER (WHERE latest = 2)
                   AS nps_change
        FROM answers WHERE latest <= 2
        GROUP BY customer_id, cutoff
    ),
    contact AS (
        SELECT c.customer_id, k.cutoff, count(*) AS campaign_contacts_365d
        FROM contacts_source c JOIN cutoffs_source k ON c.assigned_at <= k.cutoff
             AND c.assigned_at > k.cutoff - to_days(365)
        GROUP BY c.customer_id, k.cutoff
    )
    SELECT h.customer_id, h.cutoff, {label} AS churned,
           h.tenure_days, h.recency_days, h.n_orders, h.revenue, h.avg_order_value,
           h.orders_30d, h.orders_90d, h.orders_180d, h.orders_365d, h.revenue_90d, h.revenue_365d,
           CASE WHEN h.orders_365d > 0 THEN h.orders_90d * (365.0 / 90) / h.orders_365d END
               AS order_trend,
           i.ipt_mean_days, i.ipt_std_days,
           h.recency_days / nullif(i.ipt_mean_days, 0) AS recency_vs_gap,
           h.refund_rate,
           {", ".join(f'h."share_{_safe(c)}"' for c in channels)},
           coalesce(t.touchpoints_90d, 0) AS touchpoints_90d,
           coalesce(t.email_opens_90d, 0) AS email_opens_90d,
           coalesce(t.visits_90d, 0) AS visits_90d, t.days_since_touchpoint,
           coalesce(x.tickets_365d, 0) AS tickets_365d,
           coalesce(x.tickets_open, 0) AS tickets_open, x.days_since_ticket,
           coalesce(x.slow_tickets_365d, 0) AS slow_tickets_365d,
           n.last_nps, n.nps_change,
           coalesce(c.campaign_contacts_365d, 0) AS campaign_contacts_365d,
           cs.s AS signup_channel
    FROM hist h
    LEFT JOIN ipt i USING (customer_id, cutoff)
    LEFT JOIN touch t USING (customer_id, cutoff)
    LEFT JOIN tick x USING (customer_id, cutoff)
    LEFT JOIN nps n USING (customer_id, cutoff)
    LEFT JOIN contact c USING (customer_id, cutoff)
    LEFT JOIN customers_source cs USING (customer_id)
    {label_join}
    WHERE ($active IS NULL OR h.recency_days <= $active) {cancelled_before}
    ORDER BY h.cutoff, h.customer_id
    """
