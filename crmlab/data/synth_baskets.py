"""Products and order lines of the synthetic world, with planted truth for ``crmlab.basket``.

* A shop of 48 products in six categories, each with a list price and a margin rate.
* **Category taste**: every person has a favourite category, drawn with weights that depend
  on how often they buy: the most frequent third favours coffee (``TASTE_BY_FREQUENCY``), the
  least frequent third gifts. Half of a person's lines come from their favourite category,
  the rest by the shop's category shares; within a category, popularity falls as 1/rank.
* **Bought together**: a line of an anchor product brings its partner into the same order
  with chance ``PAIR_CHANCE`` (``PAIRS``), so the rule anchor → partner has a confidence of
  at least that and a lift far above 1; no other pair is planted.
* Lines of an order add up to its amount to the penny: list prices are scaled to the order's
  amount (a discount or a surcharge), and the rounding goes to the order's dearest line,
  which has quantity 1. A refund's lines are the refunded order's lines with negative
  quantities, priced to the refunded amount.

Everything is recorded in ``truth.params["products"]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CATALOGUE: dict[str, tuple[tuple[str, float], ...]] = {  # name, list price in pounds
    "coffee": (
        ("Coffee beans 1kg", 18.0),
        ("Ground coffee 250g", 6.5),
        ("Espresso machine", 240.0),
        ("Milk frother", 45.0),
        ("Paper filters", 3.0),
        ("Coffee grinder", 60.0),
        ("Cold brew kit", 30.0),
        ("Decaf beans 500g", 11.0),
    ),
    "tea": (
        ("Loose tea 100g", 8.0),
        ("Tea bags 80", 4.5),
        ("Teapot", 35.0),
        ("Matcha 30g", 16.0),
        ("Tea infuser", 9.0),
        ("Chai mix", 7.0),
        ("Herbal tea 20", 4.0),
        ("Kettle", 55.0),
    ),
    "bakery": (
        ("Strong flour 1.5kg", 3.5),
        ("Croissants 4", 4.0),
        ("Bread maker", 120.0),
        ("Dried yeast", 2.0),
        ("Sourdough starter", 12.0),
        ("Baking tray", 14.0),
        ("Muffin mix", 3.5),
        ("Proving basket", 18.0),
    ),
    "kitchen": (
        ("Mugs set of 4", 28.0),
        ("Cafetière", 25.0),
        ("Chef's knife", 70.0),
        ("Chopping board", 22.0),
        ("Storage jars", 16.0),
        ("Tea towels", 9.0),
        ("Scales", 24.0),
        ("Travel mug", 15.0),
    ),
    "gifts": (
        ("Greeting card", 3.0),
        ("Chocolate truffles", 12.0),
        ("Gift box", 30.0),
        ("Candle", 18.0),
        ("Gift wrap", 4.0),
        ("Hamper", 75.0),
        ("Gift voucher card", 25.0),
        ("Ribbon", 2.5),
    ),
    "cleaning": (
        ("Descaler", 7.0),
        ("Dish soap", 3.0),
        ("Machine cleaner", 9.0),
        ("Cloths 5", 4.0),
        ("Brush set", 8.0),
        ("Filter cartridges", 14.0),
        ("Sponges 6", 3.0),
        ("Bin bags", 4.5),
    ),
}
CATEGORIES = tuple(CATALOGUE)
CATEGORY_SHARES = (0.25, 0.20, 0.15, 0.15, 0.15, 0.10)
MARGIN_RATES = {
    "coffee": 0.35,
    "tea": 0.45,
    "bakery": 0.30,
    "kitchen": 0.40,
    "gifts": 0.50,
    "cleaning": 0.30,
}
FAVOURITE_SHARE = 0.5  # of a person's lines, from their favourite category
TASTE_BY_FREQUENCY = {  # weight multipliers of the favourite's draw, by purchase-rate third
    "frequent": {"coffee": 3.0},
    "middle": {},
    "infrequent": {"gifts": 3.0},
}
PAIRS = (  # anchor -> partner
    ("Espresso machine", "Coffee beans 1kg"),
    ("Espresso machine", "Descaler"),
    ("Teapot", "Loose tea 100g"),
    ("Bread maker", "Strong flour 1.5kg"),
    ("Gift box", "Greeting card"),
)
PAIR_CHANCE = 0.6
MAX_LINES = 8
EXTRA_UNIT_CHANCE = 0.1  # a line with two units instead of one


def product_table() -> pd.DataFrame:
    """The shop's products: product_id, name, category, margin (per unit at list price),
    list_price."""
    rows = [
        (category, name, price) for category, items in CATALOGUE.items() for name, price in items
    ]
    frame = pd.DataFrame(rows, columns=["category", "name", "list_price"])
    frame["product_id"] = [f"P{i:03d}" for i in range(1, len(frame) + 1)]
    frame["margin"] = (frame["list_price"] * frame["category"].map(MARGIN_RATES)).round(2)
    return frame[["product_id", "name", "category", "margin", "list_price"]]


def frequency_thirds(people: pd.DataFrame) -> np.ndarray:
    """Each person's purchase-rate third: "infrequent", "middle" or "frequent"."""
    third = pd.qcut(people["lam"].rank(method="first"), 3, labels=False).to_numpy()
    return np.array(["infrequent", "middle", "frequent"])[third]


def favourite_categories(rng, names: np.ndarray) -> np.ndarray:
    """Each person's favourite category (index into CATEGORIES), given their purchase-rate
    third (``frequency_thirds``)."""
    favourite = np.empty(len(names), dtype=int)
    for group, boost in TASTE_BY_FREQUENCY.items():
        weights = np.array(
            [s * boost.get(c, 1.0) for c, s in zip(CATEGORIES, CATEGORY_SHARES, strict=True)]
        )
        chosen = names == group
        favourite[chosen] = rng.choice(len(CATEGORIES), chosen.sum(), p=weights / weights.sum())
    return favourite


def order_lines(rng, orders: pd.DataFrame, people: pd.DataFrame):
    """(products, order_lines, taste, truth) for the world's orders, completed and
    refunds; taste is each customer's planted favourite category and purchase-rate third.

    orders: with order_id, person, amount, n_items, status; a refund's order_id is the
    refunded order's with an 'R' for its 'O'.
    """
    products = product_table()
    frequency = frequency_thirds(people)
    favourite = favourite_categories(rng, frequency)
    sales = orders[orders["status"] == "completed"]
    lines = _draw_lines(rng, sales, favourite, products)
    lines = _priced(lines, sales.set_index("order_id")["amount"])
    refunds = _refund_lines(orders[orders["status"] == "refunded"], lines)
    lines = pd.concat([lines, refunds], ignore_index=True)
    lines["line_number"] = lines.groupby("order_id", sort=False).cumcount() + 1
    lines = lines[["order_id", "line_number", "product_id", "quantity", "unit_price"]]
    truth = {
        "pairs": [{"anchor": a, "partner": b, "chance": PAIR_CHANCE} for a, b in PAIRS],
        "favourite_share": FAVOURITE_SHARE,
        "taste_by_frequency": TASTE_BY_FREQUENCY,
        "category_shares": dict(zip(CATEGORIES, CATEGORY_SHARES, strict=True)),
    }
    taste = pd.DataFrame(
        {
            "customer_id": people["customer_id"],
            "favourite_category": np.array(CATEGORIES)[favourite],
            "frequency": frequency,
        }
    )
    return products.drop(columns="list_price"), lines, taste, truth


def _draw_lines(rng, sales: pd.DataFrame, favourite, products) -> pd.DataFrame:
    n_lines = np.minimum(sales["n_items"].to_numpy(), MAX_LINES)
    order = np.repeat(np.arange(len(sales)), n_lines)
    person = sales["person"].to_numpy()[order]
    own = rng.random(len(order)) < FAVOURITE_SHARE
    shop = rng.choice(len(CATEGORIES), len(order), p=CATEGORY_SHARES)
    category = np.where(own, favourite[person], shop)
    per_category = len(CATALOGUE[CATEGORIES[0]])
    popularity = 1 / np.arange(1, per_category + 1)
    within = rng.choice(per_category, len(order), p=popularity / popularity.sum())
    product = category * per_category + within
    index_of = {name: i for i, name in enumerate(products["name"])}
    added_orders, added_products = [], []
    for anchor, partner in PAIRS:
        has_anchor = np.unique(order[product == index_of[anchor]])
        joins = has_anchor[rng.random(len(has_anchor)) < PAIR_CHANCE]
        added_orders.append(joins)
        added_products.append(np.full(len(joins), index_of[partner]))
    order = np.concatenate([order, *added_orders])
    product = np.concatenate([product, *added_products])
    lines = pd.DataFrame({"row": order, "product": product})
    lines = lines.groupby(["row", "product"], sort=True).size().rename("quantity").reset_index()
    lines["quantity"] += rng.random(len(lines)) < EXTRA_UNIT_CHANCE
    lines["order_id"] = sales["order_id"].to_numpy()[lines["row"]]
    lines["product_id"] = products["product_id"].to_numpy()[lines["product"]]
    lines["list_price"] = products["list_price"].to_numpy()[lines["product"]]
    return lines[["order_id", "product_id", "quantity", "list_price"]]


def _priced(lines: pd.DataFrame, amounts: pd.Series) -> pd.DataFrame:
    """Unit prices that make each order's lines add up to its amount to the penny: list
    prices scaled to the amount, the rounding left on the dearest line (quantity 1)."""
    lines = lines.reset_index(drop=True)
    first_dearest = pd.Series(False, index=lines.index)
    first_dearest[lines.groupby("order_id", sort=False)["list_price"].idxmax()] = True
    lines = lines.assign(quantity=lines["quantity"].where(~first_dearest, 1))
    value = lines["quantity"] * lines["list_price"]
    total = value.groupby(lines["order_id"], sort=False).transform("sum")
    amount = amounts.reindex(lines["order_id"]).to_numpy()
    unit = (lines["list_price"] * amount / total).round(2)
    others = (unit * lines["quantity"]).where(~first_dearest, 0.0)
    rest = amount - others.groupby(lines["order_id"], sort=False).transform("sum")
    unit = unit.where(~first_dearest, rest.round(2))
    return lines.assign(unit_price=unit.to_numpy()).drop(columns="list_price")


def _refund_lines(refunds: pd.DataFrame, sold: pd.DataFrame) -> pd.DataFrame:
    """The refunded order's lines with negative quantities, priced to the refunded amount."""
    original = "O" + refunds["order_id"].str[1:]
    refund_of = pd.Series(refunds["order_id"].to_numpy(), index=original.to_numpy())
    lines = sold[sold["order_id"].isin(refund_of.index)].copy()
    lines["order_id"] = refund_of.reindex(lines["order_id"]).to_numpy()
    lines = lines.rename(columns={"unit_price": "list_price"})
    amounts = -refunds.set_index("order_id")["amount"]
    priced = _priced(lines, amounts)
    return priced.assign(quantity=-priced["quantity"])
