"""Probabilistic linkage: crmlab's cleaned keys scored by a Fellegi-Sunter model (Splink).

The rules in ``resolve`` need a key spelled the same after cleaning, so one typo in an
e-mail or a missing phone loses a duplicate. Here every candidate pair of records gets a
match weight: the sum over fields of log2(m / u), where m is the probability of the
field's agreement level among records of one person and u among records of two people
(Fellegi & Sunter 1969), plus the prior log-odds that two random records match. Splink
(UK Ministry of Justice; DuckDB here, the same model runs on Spark) generates the pairs,
trains m and u and scores. crmlab supplies what Splink leaves to its users:

1. Cleaned fields (``splink_input``): ``keys`` normalizers (e-mail provider rules, E.164
   phones, transliterated names, card digits, ISO dates), the name's words sorted (so
   "Costa, Anna" = "Anna Costa"), the e-mail local part and its digits, city/postcode
   lower-cased. Key values flagged by ``resolve``'s over-merge cap are blanked first.
2. Candidate pairs share one of ``BLOCKING`` (same e-mail, phone, card, e-mail local part,
   name + birth year, birth date + city, birth date + the name's first two letters): every
   pair with at most two of the planted mistakes shares one.
3. Comparisons (``comparisons``): name exact / Jaro-Winkler >= 0.95 / >= 0.88; e-mail
   exact / local part one keystroke with the same digits / one keystroke anywhere (a digit
   slip is weaker evidence: "anna.costa14" and "anna.costa41" are often two people); phone
   exact / one keystroke; birth date exact / a day off or day and month swapped; card,
   city and postcode exact.
4. Training (``score``): the prior from the deterministic keys; u by random sampling; m by
   expectation maximisation in sessions blocked on name + birth date, then e-mail, then
   phone, so each field is trained where it was not the blocking key. Two floors keep the
   model honest: the "all other" level keeps m >= ``M_FLOOR`` (people do change e-mail
   addresses; an EM that never saw it would make one disagreement fatal), u >= 1 / pairs
   sampled (a level rarer than that among random pairs cannot be measured), and a weaker
   level never weighs more than a stronger one.
   Below ``MIN_TRAINING_RECORDS`` nothing is trained: crmlab's starting values are used.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

FIELDS = ("name", "email", "phone", "card", "birth_date", "city", "postcode")
BLOCKING = (
    ("email",),
    ("phone",),
    ("card",),
    ("email_local",),
    ("name", "substr(birth_date, 1, 4)"),
    ("birth_date", "city"),
    ("birth_date", "substr(name, 1, 2)"),
)
# the prior: pairs sharing one of these keys, divided by the share of duplicates they find
SURE_KEYS = (("email",), ("phone",), ("card",), ("name", "birth_date"))
SURE_KEYS_RECALL = 0.8
EM_SESSIONS = (("name", "birth_date"), ("email",), ("phone",))
MIN_TRAINING_RECORDS = 1_000
MIN_EM_PAIRS = 50  # an EM session with fewer candidate pairs keeps the starting values
U_SAMPLE_PAIRS = 300_000
M_FLOOR = 0.01
M_MIN = 0.001  # no level is impossible among one person's records (EM can reach 1e-54)
DEFAULT_THRESHOLD = 0.99
_SWAP = (
    "substr({c}_l, 1, 4) = substr({c}_r, 1, 4) AND substr({c}_l, 6, 2) = substr({c}_r, 9, 2)"
    " AND substr({c}_l, 9, 2) = substr({c}_r, 6, 2)"
)
# Starting values (m, u) per non-null level, strongest first: rounded from a model trained on
# a 20,000-customer synthetic world before floors; with too little to train on they are used
# under the same floors (``_apply_floors``) as a trained model.
STARTING_VALUES = {
    "name": ([0.83, 0.13, 0.02, 0.02], [0.0004, 0.0002, 0.007, 0.9924]),
    "email": ([0.9, 0.07, 0.02, 0.01], [1e-6, 1e-7, 1e-7, 0.999999]),
    "phone": ([0.94, 0.05, 0.01], [1e-6, 1e-7, 0.999999]),
    "card": ([0.95, 0.05], [1e-6, 0.999999]),
    "birth_date": ([0.89, 0.1, 0.01], [5e-5, 1e-4, 0.99985]),
    "city": ([0.9, 0.1], [0.1, 0.9]),
    "postcode": ([0.9, 0.1], [0.001, 0.999]),
}


def splink_input(records: pd.DataFrame, norm: pd.DataFrame) -> pd.DataFrame:
    """One row per record (``unique_id`` = its position) with the cleaned fields Splink
    compares; a field the records lack is an all-null column (it then adds no weight)."""

    def text(column: str) -> pd.Series:
        if column not in records:
            return pd.Series(None, index=records.index, dtype="object")
        values = records[column].astype("string").str.strip().str.lower()
        return values.where(values != "", None).astype("object")

    name = norm["name"].map(lambda v: " ".join(sorted(v.split())) if isinstance(v, str) else None)
    local = norm["email"].map(lambda v: v.rsplit("@", 1)[0] if isinstance(v, str) else None)
    digits = local.map(lambda v: re.sub(r"\D", "", v) if isinstance(v, str) else None)
    frame = pd.DataFrame(
        {
            "unique_id": np.arange(len(records), dtype=np.int64),
            "name": name,
            "email": norm["email"],
            "email_local": local,
            "email_digits": digits,
            "phone": norm["phone"],
            "card": norm["card"],
            "birth_date": norm["birth_date"],
            "city": text("city"),
            "postcode": text("postcode").str.replace(" ", "", regex=False),
        }
    )
    return frame.astype({c: "object" for c in frame.columns if c != "unique_id"})


def comparisons() -> list:
    """Splink comparisons, one per field, levels strongest first (module docstring)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def custom(column: str, levels: list, labels: list[str]):
        made = [cll.NullLevel(column)]
        for level, label in zip(levels, labels, strict=True):
            made.append(level.configure(label_for_charts=label))
        made.append(cll.ElseLevel().configure(label_for_charts="different"))
        m, u = STARTING_VALUES[column]
        return cl.CustomComparison(made, output_column_name=column).configure(
            m_probabilities=m, u_probabilities=u
        )

    def one_slip(column: str):
        # levenshtein first: DuckDB's Damerau-Levenshtein is 8x slower, so run it on few pairs
        return cll.And(cll.LevenshteinLevel(column, 2), cll.DamerauLevenshteinLevel(column, 1))

    same_digits = cll.CustomLevel("email_digits_l = email_digits_r", base_dialect_str="duckdb")
    return [
        custom(
            "name",
            [
                cll.ExactMatchLevel("name"),
                cll.JaroWinklerLevel("name", 0.95),
                cll.JaroWinklerLevel("name", 0.88),
            ],
            ["same", "nearly the same (Jaro-Winkler >= 0.95)", "similar (Jaro-Winkler >= 0.88)"],
        ),
        custom(
            "email",
            [
                cll.ExactMatchLevel("email"),
                cll.And(same_digits, one_slip("email_local")),
                one_slip("email_local"),
            ],
            ["same", "one keystroke, same digits", "one keystroke"],
        ),
        custom(
            "phone",
            [cll.ExactMatchLevel("phone"), one_slip("phone")],
            ["same", "one keystroke"],
        ),
        custom("card", [cll.ExactMatchLevel("card")], ["same"]),
        custom(
            "birth_date",
            [
                cll.ExactMatchLevel("birth_date"),
                cll.Or(
                    cll.AbsoluteDateDifferenceLevel(
                        "birth_date", input_is_string=True, threshold=1, metric="day"
                    ),
                    cll.CustomLevel(_SWAP.format(c="birth_date"), base_dialect_str="duckdb"),
                ),
            ],
            ["same", "a day off or day/month swapped"],
        ),
        custom("city", [cll.ExactMatchLevel("city")], ["same"]),
        custom("postcode", [cll.ExactMatchLevel("postcode")], ["same"]),
    ]


@dataclass
class ScoredPairs:
    """Candidate pairs scored by the trained model.

    pairs: left, right (record positions, left < right), match_weight (log2 odds, prior
        included), match_probability, and per field ``gamma_<field>`` (level index: -1
        missing, 0 different, higher = closer) and ``mw_<field>`` (its weight, log2).
    model: field, level, gamma, m, u, match_weight (log2 m/u) of every non-null level of
        the fields the records carry.
    prior: probability that two random records are one person (lambda).
    trained: what was estimated from these records (empty: starting values only).
    """

    pairs: pd.DataFrame
    model: pd.DataFrame
    prior: float
    trained: list[str] = field(default_factory=list)

    @property
    def prior_weight(self) -> float:
        """The prior as a match weight, log2(lambda / (1 - lambda))."""
        return math.log2(self.prior / (1 - self.prior))


def _settings(prior: float | None = None):
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=[block_on(*cols) for cols in BLOCKING],
        probability_two_random_records_match=prior or 1e-4,
        retain_matching_columns=True,  # gamma_ columns come with them; values dropped after
        retain_intermediate_calculation_columns=True,
    )


def _pairs_sharing(frame: pd.DataFrame, columns: tuple[str, ...]) -> int:
    """How many record pairs agree on all ``columns`` (none missing)."""
    keys = frame[list(columns)].dropna()
    sizes = keys.groupby(list(columns)).size().to_numpy(dtype=np.float64)
    return int((sizes * (sizes - 1) / 2).sum())


def train(frame: pd.DataFrame, random_state: int = 0):
    """A Splink linker on ``frame`` (``splink_input``) with the model trained as the module
    docstring says; returns (linker, prior, what was trained)."""
    from splink import DuckDBAPI, Linker, block_on

    n = len(frame)
    all_pairs = n * (n - 1) / 2
    db_api = DuckDBAPI()
    sdf = db_api.register(frame)
    found = sum(_pairs_sharing(frame, c) for c in SURE_KEYS)
    prior = min(max(found / SURE_KEYS_RECALL, 1.0) / max(all_pairs, 1.0), 0.5)
    linker = Linker(sdf, _settings(prior), log_level=logging.ERROR)
    trained: list[str] = []
    # the starting values come from a model sampled with U_SAMPLE_PAIRS: the same floor
    # keeps an untrained model from trusting a rare agreement more than a trained one could
    sampled = U_SAMPLE_PAIRS
    if n >= MIN_TRAINING_RECORDS:
        sampled = min(U_SAMPLE_PAIRS, all_pairs)
        linker.training.estimate_u_using_random_sampling(max_pairs=sampled, seed=random_state)
        trained.append(f"u from {sampled:,.0f} random pairs")
        for session in EM_SESSIONS:
            pairs = _pairs_sharing(frame, session)
            if pairs >= MIN_EM_PAIRS:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block_on(*session), estimate_without_term_frequencies=True
                )
                trained.append(f"m by EM on {pairs:,} pairs sharing {' + '.join(session)}")
    model = linker.misc.save_model_to_json()
    _apply_floors(model, 1.0 / sampled)
    model["probability_two_random_records_match"] = prior
    return Linker(sdf, model, log_level=logging.ERROR), prior, trained


def _apply_floors(model: dict, u_floor: float) -> None:
    """m of the "different" level >= M_FLOOR, of any level >= M_MIN; u >= ``u_floor`` (one
    in the pairs sampled: rarer cannot be told from the sample); a weaker agreement level
    never weighs more than a stronger one (its u raised to match); m and u then sum to one
    over each field's non-null levels."""
    for comparison in model["comparisons"]:
        levels = _levels(comparison)
        m = np.array([_number(lv.get("m_probability")) for lv in levels])
        u = np.array([_number(lv.get("u_probability")) for lv in levels])
        m = np.maximum(np.where(np.isfinite(m), m, M_FLOOR), M_MIN)
        u = np.maximum(np.where(np.isfinite(u), u, u_floor), u_floor)
        m[-1] = max(m[-1], M_FLOOR)
        for i in range(1, len(levels) - 1):  # agreement levels; "different" is left alone
            u[i] = max(u[i], m[i] * u[i - 1] / m[i - 1])
        m, u = m / m.sum(), u / u.sum()
        for level, m_i, u_i in zip(levels, m, u, strict=True):
            level["m_probability"], level["u_probability"] = float(m_i), float(u_i)


def _levels(comparison: dict) -> list[dict]:
    """A saved comparison's levels without its null level, strongest first."""
    return [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]


def _number(value) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")


def model_table(linker) -> pd.DataFrame:
    """field, level, gamma, m, u, match_weight (log2 m/u) of every non-null level."""
    rows = []
    for comparison in linker.misc.save_model_to_json()["comparisons"]:
        levels = _levels(comparison)
        for gamma, level in zip(range(len(levels) - 1, -1, -1), levels, strict=True):
            m, u = level["m_probability"], level["u_probability"]
            rows.append(
                {
                    "field": comparison["output_column_name"],
                    "level": level.get("label_for_charts", ""),
                    "gamma": gamma,
                    "m": m,
                    "u": u,
                    "match_weight": math.log2(m / u),
                }
            )
    return pd.DataFrame(rows)


def _scored(result) -> pd.DataFrame:
    """Splink's predictions as crmlab's pair table (field values dropped)."""
    frame = result.as_pandas_dataframe()
    keep = ["match_weight", "match_probability"]
    keep += [f"{p}_{f}" for f in FIELDS for p in ("gamma", "mw")]
    out = frame[keep].copy()
    left, right = frame["unique_id_l"].to_numpy(), frame["unique_id_r"].to_numpy()
    out.insert(0, "right", np.maximum(left, right).astype(np.int64))
    out.insert(0, "left", np.minimum(left, right).astype(np.int64))
    return out.sort_values(["left", "right"], kind="stable").reset_index(drop=True)


def score(frame: pd.DataFrame, floor: float = 0.001, random_state: int = 0):
    """Train (``train``) and score every candidate pair with match probability >= ``floor``;
    returns (ScoredPairs, linker: for ``score_within``)."""
    linker, prior, trained = train(frame, random_state)
    pairs = _scored(linker.inference.predict(threshold_match_probability=floor))
    model = model_table(linker)
    present = [f for f in FIELDS if frame[f].notna().any()]
    model = model[model["field"].isin(present)].reset_index(drop=True)
    return ScoredPairs(pairs, model, prior, trained), linker


def score_within(linker, frame: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Score every pair of records inside each group (``groups``: group label by record
    position, only records to check): the chaining guard's view of a cluster."""
    from splink import block_on

    if groups.empty:
        return _scored_empty()
    subset = frame.iloc[groups.index.to_numpy()].assign(group=groups.to_numpy())
    db_api = linker._db_api  # the trained model's database: same functions, same settings
    sdf = db_api.register(subset)
    result = linker.inference.predict_within(
        sdf, blocking_rules_to_generate_predictions=[block_on("group")]
    )
    return _scored(result)


def _scored_empty() -> pd.DataFrame:
    columns = {"left": "int64", "right": "int64", "match_weight": "float64"}
    columns["match_probability"] = "float64"
    columns.update({f"{p}_{f}": "float64" for f in FIELDS for p in ("gamma", "mw")})
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
