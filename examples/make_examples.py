"""Write the small example exports used by docs/guide/your_data.md (and its tests).

The files are committed; this script documents how they were made and remakes them
identically (fixed seed). Names, e-mails and numbers are invented.

    python examples/make_examples.py
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
COUNTRIES = ["United Kingdom"] * 6 + ["France", "Germany", "EIRE", "Spain"]
PRODUCTS = [
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55),
    ("71053", "WHITE METAL LANTERN", 3.39),
    ("84406B", "CREAM CUPID HEARTS COAT HANGER", 2.75),
    ("22752", "SET 7 BABUSHKA NESTING BOXES", 7.65),
    ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 4.25),
    ("22633", "HAND WARMER UNION JACK", 1.85),
    ("POST", "POSTAGE", 18.00),
]


def online_retail(rng: np.random.Generator) -> pd.DataFrame:
    """Invoice lines like the UCI Online Retail export: InvoiceDate as m/d/Y H:M, several
    lines per invoice, cancellations 'C<invoice>' with negative quantities, guest rows with
    customer '(blank)' or empty, and an invoice number repeated in two blocks of rows."""
    rows, invoice = [], 536365
    start = pd.Timestamp("2010-12-01 08:26")
    for _ in range(140):
        customer = rng.choice(
            [f"{c}" for c in range(12346, 12386)] + ["(blank)", ""], p=[0.0225] * 40 + [0.06, 0.04]
        )
        when = start + pd.Timedelta(minutes=int(rng.integers(0, 370 * 24 * 60)))
        country = rng.choice(COUNTRIES)
        lines = rng.integers(1, 5)
        for k in rng.choice(len(PRODUCTS), size=lines, replace=False):
            code, text, price = PRODUCTS[k]
            rows.append(
                (str(invoice), code, text, int(rng.integers(1, 13)), when, price, customer, country)
            )
        if customer not in ("(blank)", "") and rng.random() < 0.12:  # cancelled later
            later = when + pd.Timedelta(days=int(rng.integers(1, 20)))
            for r in [r for r in rows if r[0] == str(invoice)]:
                rows.append((f"C{invoice}", r[1], r[2], -r[3], later, r[5], customer, country))
        invoice += 1
    # The same invoice number exported twice (a second block of lines of one invoice).
    rows.append(
        (rows[0][0], "22633", "HAND WARMER UNION JACK", 6, rows[0][4], 1.85, rows[0][6], rows[0][7])
    )
    frame = pd.DataFrame(
        rows,
        columns=[
            "InvoiceNo",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "CustomerID",
            "Country",
        ],
    )
    frame = frame.sort_values("InvoiceDate", kind="stable")
    frame["InvoiceDate"] = [
        f"{t.month}/{t.day}/{t.year} {t.hour}:{t.minute:02d}" for t in frame["InvoiceDate"]
    ]
    return frame


def crm_export(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A CRM's two exports: clients (Excel; 'Created' as dd.mm.yyyy) and orders (gzip'd
    semicolon CSV; ISO times with offsets; refunds name the order they refund)."""
    n = 45
    clients = pd.DataFrame(
        {
            "Client No": [f"K-{1000 + i}" for i in range(n)],
            "Created": [
                (pd.Timestamp("2022-01-03") + pd.Timedelta(days=int(d))).strftime("%d.%m.%Y")
                for d in rng.integers(0, 500, n)
            ],
            "E-Mail": [f"client{i}@example.org" for i in range(n)],
            "Newsletter": rng.choice(["yes", "no"], n),
            "Plan": rng.choice(["basic", "plus", "family"], n),
        }
    )
    orders = []
    for i in range(n):
        created = pd.Timestamp(pd.to_datetime(clients.at[i, "Created"], format="%d.%m.%Y"))
        for _ in range(int(rng.integers(1, 7))):
            when = created + pd.Timedelta(hours=int(rng.integers(1, 400 * 24)))
            orders.append(
                [
                    f"SO-{len(orders) + 1:05d}",
                    clients.at[i, "Client No"],
                    when,
                    round(float(rng.gamma(2, 30)), 2),
                    "paid",
                    "",
                ]
            )
    for k in rng.choice(len(orders), size=8, replace=False):
        original = orders[k]
        amount = original[3] if rng.random() < 0.5 else round(original[3] / 2, 2)
        orders.append(
            [
                f"RF-{k:05d}",
                original[1],
                original[2] + pd.Timedelta(days=3),
                amount,
                "refunded",
                original[0],
            ]
        )
    frame = pd.DataFrame(
        orders, columns=["Order #", "Client", "Placed", "Total EUR", "State", "Refund of"]
    )
    frame["Placed"] = [t.tz_localize("Europe/Berlin").isoformat() for t in frame["Placed"]]
    return clients, frame.sort_values("Order #")


def wholesale(rng: np.random.Generator) -> pd.DataFrame:
    """A wholesaler's invoice lines over one year: 300 trade customers who all keep buying
    (each at their own steady rate, nobody leaves: BG/NBD's dropout is unidentifiable),
    dates as dd/mm/yyyy, credit notes 'CN<invoice>' with negative quantities."""
    rows, invoice = [], 70001
    start, end = pd.Timestamp("2023-01-02"), pd.Timestamp("2023-12-29")
    for c in range(300):
        customer = f"TR{5000 + c}"
        first = start + pd.Timedelta(days=int(rng.integers(0, 120)))
        rate_per_day = rng.gamma(2.0, 1 / 28)  # mean one order a fortnight
        when = first
        while when <= end:
            lines = int(rng.integers(1, 4))
            for k in rng.choice(len(PRODUCTS) - 1, size=lines, replace=False):
                code, text, price = PRODUCTS[k]
                rows.append(
                    (f"{invoice}", when, customer, code, text, int(rng.integers(6, 49)), price)
                )
            if rng.random() < 0.03:  # a credit note for the first line, a few days later
                code, text, qty, price = rows[-1][3], rows[-1][4], rows[-1][5], rows[-1][6]
                later = when + pd.Timedelta(days=int(rng.integers(2, 10)))
                rows.append((f"CN{invoice}", later, customer, code, text, -qty, price))
            invoice += 1
            when = when + pd.Timedelta(days=max(1, int(rng.exponential(1 / rate_per_day))))
    frame = pd.DataFrame(
        rows, columns=["Invoice", "Date", "Account", "Item", "Description", "Qty", "Unit price"]
    )
    frame = frame[frame["Date"] <= end].sort_values(["Date", "Invoice"], kind="stable")
    frame["Date"] = frame["Date"].dt.strftime("%d/%m/%Y")
    return frame


def subscribers(rng: np.random.Generator) -> pd.DataFrame:
    """A telecom operator's churn export: one row per subscriber (3,000), the label "Churn"
    written T/F (4 rows blank), an account number and a phone number (never features),
    "Total Charges" as text with a blank for brand-new subscribers, a signup date, and a
    "Churn Reason" filled in only for churners (a leak). Churn is planted: more likely with
    many service calls, an international plan, a month-to-month contract, short tenure."""
    n = 3000
    months = rng.integers(0, 73, n)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.25, 0.2])
    intl = rng.random(n) < 0.12
    service_calls = rng.poisson(1.6, n)
    day_mins = rng.normal(180, 50, n).clip(0).round(1)
    monthly = (20 + day_mins * 0.17 + intl * 9 + rng.normal(0, 5, n)).clip(15).round(2)
    logit = (
        -2.4
        + 0.55 * (service_calls - 1.6)
        + 1.4 * intl
        + 1.1 * (contract == "Month-to-month")
        - 0.025 * months
        + 0.006 * (day_mins - 180)
    )
    churned = rng.random(n) < 1 / (1 + np.exp(-logit))
    reasons = np.array(["Competitor offer", "Price", "Network quality", "Moved", "Service"])
    total = np.where(months == 0, " ", (monthly * months).round(2).astype(str))
    signup = pd.Timestamp("2024-06-01") - pd.to_timedelta(months * 30.4, unit="D")
    frame = pd.DataFrame(
        {
            "Account No": rng.permutation(np.arange(100001, 100001 + n)),
            "Phone": [
                f"{rng.integers(200, 999)}-{rng.integers(200, 999)}-{rng.integers(1000, 9999)}"
                for _ in range(n)
            ],
            "State": rng.choice(["CA", "NY", "TX", "WA", "OH", "FL", "IL", "NJ"], n),
            "Area Code": rng.choice([408, 415, 510], n),
            "Account Length (months)": months,
            "Contract": contract,
            "Intl Plan": np.where(intl, "yes", "no"),
            "VMail Plan": np.where(rng.random(n) < 0.27, "yes", "no"),
            "Day Mins": day_mins,
            "Day Calls": rng.poisson(100, n),
            "Eve Mins": rng.normal(200, 50, n).clip(0).round(1),
            "CustServ Calls": service_calls,
            "Monthly Charge": monthly,
            "Total Charges": total,
            "Signup Date": signup.strftime("%Y-%m-%d"),
            "Churn Reason": np.where(churned, rng.choice(reasons, n), ""),
            "Churn": np.where(churned, "T", "F"),
        }
    )
    frame.loc[rng.choice(n, 4, replace=False), "Churn"] = ""  # unlabelled rows
    return frame


def email_test(rng: np.random.Generator) -> pd.DataFrame:
    """An e-mail test exported from a marketing tool: 45,000 users, three mutually exclusive
    arms (control and two subject lines), one row per user, no CRM ids. Planted purchase
    rates: control 3.0 %, subject_A 3.3 %, subject_B 3.7 %; opens 20 / 24 / 26 %."""
    n = 45_000
    arm = rng.choice(["control", "subject_A", "subject_B"], n)
    returning = rng.random(n) < 0.4
    opens = {"control": 0.20, "subject_A": 0.24, "subject_B": 0.26}
    buys = {"control": 0.030, "subject_A": 0.033, "subject_B": 0.037}
    opened = rng.random(n) < np.vectorize(opens.get)(arm)
    rate = np.vectorize(buys.get)(arm) * np.where(returning, 1.3, 0.8)
    bought = rng.random(n) < rate
    value = np.where(bought, rng.gamma(2.0, 30.0, n).round(2), 0.0)
    return pd.DataFrame(
        {
            "User ID": [f"u{i:06d}" for i in rng.permutation(n)],
            "Group": arm,
            "Customer Type": np.where(returning, "returning", "new"),
            "Opened": opened,
            "Purchased": bought.astype(int),
            "Order Value": value,
        }
    )


def shop_database_sql(rng: np.random.Generator) -> str:
    """SQL that creates a small web-shop schema (customers, orders with a status column)."""
    lines = [
        "CREATE TABLE shop_customers (id integer PRIMARY KEY, signed_up timestamptz NOT NULL,"
        " country text);",
        "CREATE TABLE shop_orders (id bigint PRIMARY KEY,"
        " customer integer REFERENCES shop_customers(id), created timestamptz NOT NULL,"
        " total numeric(10, 2) NOT NULL, state text NOT NULL);",
    ]
    order = 1
    for c in range(1, 31):
        signed = pd.Timestamp("2023-01-01", tz="UTC") + pd.Timedelta(days=int(rng.integers(0, 300)))
        country = rng.choice(["DE", "FR", "NL"])
        lines.append(
            f"INSERT INTO shop_customers VALUES ({c}, '{signed.isoformat()}', '{country}');"
        )
        for _ in range(int(rng.integers(1, 6))):
            when = signed + pd.Timedelta(hours=int(rng.integers(1, 300 * 24)))
            total = round(float(rng.gamma(2, 25)), 2)
            state = rng.choice(["delivered", "delivered", "delivered", "returned"])
            values = f"{order}, {c}, '{when.isoformat()}', {total}, '{state}'"
            lines.append(f"INSERT INTO shop_orders VALUES ({values});")
            order += 1
    return "\n".join(lines) + "\n"


def service_desk(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """A shop's help-desk and survey exports next to its order list: day-first local times
    ('31/05/2024 14:05'), 'n/a' where a ticket has no reply yet, ratings as text, comments
    with a phone number, an e-mail address or the writer's name in them, a Chinese comment,
    and a survey score entered as '10 '."""
    n = 120
    names = [
        f"{first} {last}"
        for first, last in zip(
            rng.choice(["Maria", "Tom", "Aisha", "Jan", "Lea", "Wei"], n),
            rng.choice(["Schmidt", "Brown", "Khan", "de Vries", "Rossi", "Zhang"], n),
            strict=True,
        )
    ]
    clients = pd.DataFrame(
        {
            "Account": [f"A{7000 + i}" for i in range(n)],
            "Since": [
                (pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(d))).strftime("%d/%m/%Y")
                for d in rng.integers(0, 300, n)
            ],
            "Contact name": names,
        }
    )
    start = pd.Timestamp("2023-11-01")
    orders = pd.DataFrame(
        {
            "Order": [f"W{i:05d}" for i in range(600)],
            "Account": rng.choice(clients["Account"], 600),
            "Date": [
                (start + pd.Timedelta(hours=int(h))).strftime("%d/%m/%Y %H:%M")
                for h in rng.integers(0, 240 * 24, 600)
            ],
            "Value": np.round(rng.gamma(2, 25, 600), 2),
            "Channel": rng.choice(["web", "app", "store"], 600),
        }
    )
    opened = [start + pd.Timedelta(minutes=int(m)) for m in rng.integers(0, 240 * 24 * 60, 400)]
    reply = [
        o + pd.Timedelta(hours=float(h))
        for o, h in zip(opened, rng.exponential(6, 400), strict=True)
    ]
    solved = [
        o + pd.Timedelta(hours=float(h))
        for o, h in zip(opened, rng.lognormal(3, 1, 400), strict=True)
    ]
    as_of = pd.Timestamp("2024-06-28 23:59")
    stamp = lambda t: "n/a" if t > as_of else t.strftime("%d/%m/%Y %H:%M")  # noqa: E731
    tickets = pd.DataFrame(
        {
            "Ticket #": [f"HD-{i:04d}" for i in range(400)],
            "Account": rng.choice(clients["Account"], 400),
            "Opened": [t.strftime("%d/%m/%Y %H:%M") for t in opened],
            "Topic": rng.choice(["Delivery", "Billing", "Product", "Account"], 400),
            "Via": rng.choice(["Email", "Phone", "Chat"], 400),
            "First reply": [stamp(t) for t in reply],
            "Solved": [stamp(t) if rng.random() > 0.05 else "n/a" for t in solved],
            "Reopened": rng.choice([0, 0, 0, 1], 400),
        }
    )
    texts = [
        "Great service, thank you!",
        "The parcel was late again, very disappointed.",
        "Call me back on +44 7700 900123 please.",
        "Refund still missing, write to me at maria.s@example.org",
        "快递太慢了，客服态度也很差。",
        "",
    ]
    who = rng.choice(clients["Account"], 300)
    by_account = dict(zip(clients["Account"], clients["Contact name"], strict=True))
    comments = [rng.choice(texts) for _ in range(300)]
    comments = [
        c if i % 17 else f"{c} - {by_account[a]}"
        for i, (c, a) in enumerate(zip(comments, who, strict=True))
    ]
    scores = rng.choice([str(v) for v in range(11)] + ["10 "], 300)
    surveys = pd.DataFrame(
        {
            "Response": [f"R{i}" for i in range(300)],
            "Account": who,
            "Submitted": [
                (start + pd.Timedelta(hours=int(h))).strftime("%d/%m/%Y %H:%M")
                for h in rng.integers(0, 240 * 24, 300)
            ],
            "Recommend (0-10)": scores,
            "Comment": comments,
        }
    )
    return {"clients": clients, "orders": orders, "tickets": tickets, "survey": surveys}


def loyalty() -> dict[str, pd.DataFrame]:
    """A high-street retailer's loyalty exports, cut from a synthetic world (so breakage,
    the member effect and the pairs bought together are there to be found): members with a
    'Marketing OK' Y/N column, till receipts (returns are type RETURN with negative totals)
    and their lines without line numbers, the product catalogue, the points ledger in the
    platform's words (Accrual, Redemption, Expiry, Adjustment, Welcome Bonus) with every
    redemption and expiry as a positive number, and tier history ('Gold', 'Silver', ...).
    Times are day-first London local time; the ledger's are ISO."""
    from crmlab.data import generate

    world = generate(4_000, random_state=21)
    keep = ~world.customers["deletion_requested"].fillna(False).astype(bool)
    people = world.customers[keep]
    member = {c: f"CU{n:06d}" for n, c in enumerate(people["customer_id"], start=1)}
    local = lambda t, fmt: t.dt.tz_convert("Europe/London").dt.strftime(fmt)  # noqa: E731
    members = pd.DataFrame(
        {
            "Member No": people["customer_id"].map(member),
            "Created": local(people["first_seen_at"], "%d/%m/%Y"),
            "Full Name": people["name"],
            "Marketing OK": np.where(people["consent_marketing"].fillna(False), "Y", "N"),
        }
    )
    orders = world.orders[world.orders["customer_id"].isin(member)]
    # sales O123 and their returns R123 get numbers of their own: 1000123 and 9000123
    receipt = {o: ("9" if o[0] == "R" else "1") + o[1:] for o in orders["order_id"]}
    receipts = pd.DataFrame(
        {
            "Receipt No": orders["order_id"].map(receipt),
            "Date": local(orders["ordered_at"], "%d/%m/%Y %H:%M"),
            "Member No": orders["customer_id"].map(member),
            "Type": np.where(orders["status"] == "refunded", "RETURN", "SALE"),
            "Total": orders["amount"],
            "Channel": orders["channel"],
        }
    )
    lines = world.order_lines[world.order_lines["order_id"].isin(receipt)]
    receipt_lines = pd.DataFrame(
        {
            "Receipt No": lines["order_id"].map(receipt),
            "SKU": lines["product_id"],
            "Qty": lines["quantity"],
            "Unit Price": lines["unit_price"],
        }
    )
    catalogue = world.products.rename(
        columns={"product_id": "SKU", "name": "Description", "category": "Dept", "margin": "Margin"}
    )
    events = world.loyalty_events[world.loyalty_events["customer_id"].isin(member)]
    words = {"earn": "Accrual", "redeem": "Redemption", "expire": "Expiry", "adjust": "Adjustment"}
    kind = events["kind"].map(words).where(events["event_id"].notna())
    welcome = (events["kind"] == "adjust") & events["order_id"].isna() & (events["points"] > 0)
    points = pd.DataFrame(
        {
            "Txn Ref": events["event_id"].str.replace("L", "PT-", regex=False),
            "Member No": events["customer_id"].map(member),
            "Posted": local(events["occurred_at"], "%Y-%m-%d %H:%M:%S"),
            "Txn Type": kind.where(~welcome, "Welcome Bonus"),
            "Points": np.where(events["kind"].isin(["redeem", "expire"]), -1, 1) * events["points"],
            "Receipt No": events["order_id"].map(receipt),
        }
    )
    spans = world.memberships[world.memberships["customer_id"].isin(member)]
    tiers = pd.DataFrame(
        {
            "Member No": spans["customer_id"].map(member),
            "Tier": spans["tier"].str.capitalize(),
            "Valid From": local(spans["from_at"], "%d/%m/%Y %H:%M"),
            "Valid To": local(spans["to_at"], "%d/%m/%Y %H:%M"),
        }
    )
    return {
        "members.csv": members,
        "receipts.csv.gz": receipts,
        "receipt_lines.csv.gz": receipt_lines,
        "catalogue.csv": catalogue,
        "points.csv.gz": points,
        "tiers.csv": tiers,
    }


SOURCE_MEDIUM = {  # the analytics tool's words; two sources for social and for search
    "social": ("facebook / social", "instagram / social"),
    "search": ("google / cpc", "bing / cpc"),
    "email": ("newsletter / email",),
    "app": ("app / push",),
    "store": ("qr / offline",),
}


def web_journeys() -> dict[str, pd.DataFrame]:
    """A web shop's analytics and order exports, walked on the planted journey chain (so
    Markov and Shapley credit are known): sessions with epoch-millisecond start times, a
    'Source / Medium' in the tool's words, a second hit 10 minutes into 15% of sessions
    (one visit, not two touches); orders with ISO times and +01:00 offsets, and refund rows
    (positive totals, 'refund' in Kind) that name the order they refund in full (3%)."""
    from crmlab.journeys import PlantedJourneys

    world = PlantedJourneys().simulate(12_000, start="2024-01-01", as_of="2024-12-31",
                                       random_state=26)  # fmt: skip
    rng = np.random.default_rng(26)
    points = world.touchpoints
    repeat = points[rng.random(len(points)) < 0.15]
    hits = pd.concat(
        [points, repeat.assign(occurred_at=repeat["occurred_at"] + pd.Timedelta(minutes=10))]
    )
    hits = hits.sort_values(["customer_id", "occurred_at"], kind="stable").reset_index(drop=True)
    pick = rng.random(len(hits))
    medium = [
        SOURCE_MEDIUM[c][int(u * len(SOURCE_MEDIUM[c]))]
        for c, u in zip(hits["channel"], pick, strict=True)
    ]
    visitor = "V" + hits["customer_id"].str[1:].str.zfill(6)
    sessions = pd.DataFrame(
        {
            "Session ID": [f"S{n:07d}" for n in range(len(hits))],
            "Visitor ID": visitor,
            "Session Start": hits["occurred_at"].dt.as_unit("ms").astype("int64"),  # ms since 1970
            "Source / Medium": medium,
            "Event": "session_start",
        }
    )
    orders = world.orders
    offset = lambda t: (t + pd.Timedelta(hours=1)).dt.strftime("%Y-%m-%dT%H:%M:%S+01:00")  # noqa: E731
    refunded = orders[rng.random(len(orders)) < 0.03]
    shop = pd.concat(
        [
            pd.DataFrame(
                {
                    "Order ID": orders["order_id"].str.replace("O", "#", regex=False),
                    "Visitor ID": "V" + orders["customer_id"].str[1:].str.zfill(6),
                    "Created At": offset(orders["ordered_at"]),
                    "Total": orders["amount"],
                    "Kind": "sale",
                    "Refund Of": None,
                }
            ),
            pd.DataFrame(
                {
                    "Order ID": refunded["order_id"].str.replace("O", "RF", regex=False),
                    "Visitor ID": "V" + refunded["customer_id"].str[1:].str.zfill(6),
                    "Created At": offset(refunded["ordered_at"] + pd.Timedelta(days=9)),
                    "Total": refunded["amount"],
                    "Kind": "refund",
                    "Refund Of": refunded["order_id"].str.replace("O", "#", regex=False),
                }
            ),
        ],
        ignore_index=True,
    )
    visitors = pd.DataFrame(
        {
            "Visitor ID": "V" + world.customers["customer_id"].str[1:].str.zfill(6),
            "First Visit": world.customers["first_seen_at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        }
    )
    return {"visitors.csv": visitors, "sessions.csv.gz": sessions, "shop_orders.csv": shop}


def write_csvs(folder: Path, frames: dict[str, pd.DataFrame]) -> None:
    """Each frame as CSV under its file name; ``.gz`` names gzip'd with no timestamp (so the
    files are byte-identical from run to run)."""
    folder.mkdir(exist_ok=True)
    for name, frame in frames.items():
        text = frame.to_csv(index=False).encode()
        if name.endswith(".gz"):
            with gzip.GzipFile(folder / name, "wb", mtime=0) as f:
                f.write(text)
        else:
            (folder / name).write_bytes(text)


def main() -> None:
    rng = np.random.default_rng(2026)
    retail = HERE / "online_retail"
    retail.mkdir(exist_ok=True)
    online_retail(rng).to_csv(retail / "invoices.csv", index=False)
    crm = HERE / "crm_export"
    crm.mkdir(exist_ok=True)
    clients, orders = crm_export(rng)
    clients.to_excel(crm / "clients.xlsx", index=False)
    with gzip.GzipFile(crm / "orders.csv.gz", "wb", mtime=0) as f:
        f.write(orders.to_csv(index=False, sep=";").encode())
    database = HERE / "postgres"
    database.mkdir(exist_ok=True)
    (database / "shop.sql").write_text(shop_database_sql(rng))
    trade = HERE / "wholesale"  # its own generator: the files above stay byte-identical
    trade.mkdir(exist_ok=True)
    with gzip.GzipFile(trade / "invoices.csv.gz", "wb", mtime=0) as f:
        f.write(wholesale(np.random.default_rng(15)).to_csv(index=False).encode())
    mail = HERE / "ab_test"
    mail.mkdir(exist_ok=True)
    with gzip.GzipFile(mail / "email_test.csv.gz", "wb", mtime=0) as f:
        f.write(email_test(np.random.default_rng(153)).to_csv(index=False).encode())
    desk = HERE / "service_desk"  # its own generator as well
    desk.mkdir(exist_ok=True)
    for name, frame in service_desk(np.random.default_rng(18)).items():
        frame.to_csv(desk / f"{name}.csv", index=False)
    write_csvs(HERE / "web_journeys", web_journeys())  # the planted chain, its own seed
    write_csvs(HERE / "loyalty", loyalty())  # cut from a synthetic world with its own seed
    telecom = HERE / "subscribers"
    telecom.mkdir(exist_ok=True)
    with gzip.GzipFile(telecom / "subscribers.csv.gz", "wb", mtime=0) as f:
        f.write(subscribers(np.random.default_rng(152)).to_csv(index=False).encode())


if __name__ == "__main__":
    main()
