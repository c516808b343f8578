"""Identity resolution: link source records into customers, probabilistically or by rules.

``method="splink"`` (default): the cleaned records are scored by a Fellegi-Sunter model
(``probabilistic.py``): typos, missing contacts and swapped names still link. Pairs at or
above ``threshold`` match probability are linked, except pairs a shared key would link on
its own while two other fields disagree (the contested-key guard below); clusters whose
members argue against each other are split (``chains.py``). ``method="rules"`` (fast, no
training) works as follows:

1. Normalize every record's keys (``keys.py``).
2. Rules: records sharing a normalized ``email``, ``phone`` or ``card`` are linked;
   ``name+birth_date`` then links clusters with the same normalized name and birth date
   unless a strong key contradicts it (both have e-mails, or phones, or cards, and none in
   common): it finds duplicates whose contact details are missing or placeholders without
   merging namesakes born on the same day (on by default; drop it from ``rules`` to link on strong
   keys only). Addresses are accepted but
   not used: without a geocoder their spellings vary too much to be a safe key.
3. Over-merge guard: a key value shared by more than ``max_records_per_key`` records (a
   shop's phone, ``noreply@...``) is flagged and not used for linking.
4. Clusters are the connected components of the link graph (union-find's result, computed
   by scipy's sparse graph routines).
5. Master ids: ``P`` + 12 hex digits of a hash of the cluster's smallest (source, key).
   The same data give the same ids; a record that joins no cluster changes no existing id.
   With ``previous`` (an earlier crosswalk), clusters keep the id most of their members had,
   so ids change only where clusters split (the larger part keeps the id) or merge.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ...errors import DataContractError, ParameterError
from ..personal import looks_like_contact
from ..privacy import mask_email, mask_name, mask_phone, pseudonymize
from .agreement import conflict
from .chains import split_chains
from .keys import (
    normalize_card,
    normalize_date,
    normalize_each,
    normalize_email,
    normalize_name,
    normalize_phone,
)
from .phone_shortcut import linkable_phones
from .probabilistic import DEFAULT_THRESHOLD, score, score_within, splink_input
from .review import borderline

RULES = ("email", "phone", "card", "name+birth_date")
METHODS = ("splink", "rules")
FIELDS = ("name", "email", "phone", "card", "address", "birth_date", "city", "postcode")
# the chaining guard: two records whose fields alone (prior left out) give odds below 1:99
# of being one person never end in one customer
SPLIT_EVIDENCE = math.log2(1 / 99)
REVIEW_FLOOR = 0.001  # scored pairs kept for review and the threshold trade-off
KEY_COLUMNS = ["rule", "value", "records"]  # flagged and contested keys (values masked)
_MASK = {"email": mask_email, "phone": mask_phone, "card": lambda v: f"***{v[-4:]}"}


@dataclass
class Resolution:
    """The result of ``resolve``.

    crosswalk: source, source_key -> customer_id, rule (which rules linked the record, e.g.
        "email, phone"; "single" when it stands alone).
    flagged_keys: key values not used because too many records share them (masked).
    conflicts: clusters whose records disagree on birth date or name (masked examples).
    ambiguous: name + birth date groups left unlinked because strong keys contradict them.
    contested_keys: key values shared by records that disagree in two other fields (name,
        birth date, another contact key; ``agreement.conflict``), e.g. a household's phone:
        such records are not linked by that key (rule, masked value, records).
    Probabilistic method only (empty for rules):
    pairs: scored candidate pairs with match probability >= ``REVIEW_FLOOR``: left, right
        (crosswalk row positions), match_weight (log2 odds), match_probability, gamma_/mw_
        per field (``ScoredPairs``), contested (a shared key with two fields disagreeing:
        never linked), linked (above the threshold and not contested).
    model: the trained model: field, level, gamma, m, u, match_weight (log2 m/u).
    split_clusters: clusters the chaining guard split (records, parts, forbidden_pairs,
        weakest_link: the lowest match weight among the links dropped; ``chains``).
    review: masked pairs nearest the threshold with their evidence (``review.borderline``).
    """

    crosswalk: pd.DataFrame
    flagged_keys: pd.DataFrame
    conflicts: pd.DataFrame
    ambiguous: pd.DataFrame
    parameters: dict = field(default_factory=dict)
    contested_keys: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=KEY_COLUMNS))
    pairs: pd.DataFrame = field(default_factory=pd.DataFrame)
    model: pd.DataFrame = field(default_factory=pd.DataFrame)
    split_clusters: pd.DataFrame = field(default_factory=pd.DataFrame)
    review: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def cluster_sizes(self) -> pd.Series:
        """Number of customers by records per customer."""
        sizes = self.crosswalk.groupby("customer_id").size()
        return sizes.value_counts().sort_index().rename_axis("records").rename("customers")

    def links_by_rule(self) -> pd.Series:
        """Records linked by each rule (a record linked by two rules counts for both);
        with the probabilistic method: records linked ("splink") and single."""
        counts = self.crosswalk["rule"].str.split(", ", regex=False).explode().value_counts()
        names = RULES if self.parameters.get("method") == "rules" else ("splink",)
        return counts.reindex([*names, "single"], fill_value=0).rename("records")

    def shareable_crosswalk(self, key: str, region: str = "GB") -> pd.DataFrame:
        """The crosswalk to hand to other systems (source, source_key, customer_id, rule).

        When any source key looks like personal data (an e-mail address or a phone number,
        ``data.personal.looks_like_contact``), every key is replaced by its HMAC pseudonym
        (column ``source_key_pseudonym``; systems that hold the secret ``key`` compute the
        same value), so the table never carries contact details.
        """
        cw = self.crosswalk
        if not cw["source_key"].map(lambda v: looks_like_contact(v, region)).any():
            return cw.copy()
        keys = pseudonymize(cw["source_key"], key).rename("source_key_pseudonym")
        return pd.concat([cw[["source"]], keys, cw[["customer_id", "rule"]]], axis=1)

    def summary(self) -> pd.DataFrame:
        """The match report's headline numbers as a two-column table."""
        cw = self.crosswalk
        n_in, n_out = len(cw), cw["customer_id"].nunique()
        rows = [
            ("records in", n_in),
            ("customers out", n_out),
            ("records merged into another", n_in - n_out),
            (
                "customers with more than one record",
                int((cw.groupby("customer_id").size() > 1).sum()),
            ),
            ("largest cluster (records)", int(cw.groupby("customer_id").size().max())),
            ("flagged keys (not used)", len(self.flagged_keys)),
            ("shared keys with conflicting names and birth dates", len(self.contested_keys)),
            ("clusters with conflicts", self.conflicts["customer_id"].nunique()),
        ]
        if self.parameters.get("method") == "rules":
            rows.append(("ambiguous name + birth date groups (not linked)", len(self.ambiguous)))
        else:
            rows.append(("clusters split by the chaining guard", len(self.split_clusters)))
        return pd.DataFrame(rows, columns=["measure", "value"])


def _records(sources: pd.DataFrame | dict[str, pd.DataFrame], key: str) -> pd.DataFrame:
    if isinstance(sources, dict):
        parts = []
        for name, frame in sources.items():
            if key not in frame:
                raise ParameterError(f"source {name!r} has no {key!r} column (its record key).")
            part = frame.rename(columns={key: "source_key"}).assign(source=name)
            parts.append(part)
        if not parts:
            raise ParameterError("no sources given.")
        records = pd.concat(parts, ignore_index=True)
    else:
        missing = {"source", key} - set(sources.columns)
        if missing:
            raise ParameterError(
                f"the records table lacks {sorted(missing)}; give 'source' and {key!r} columns "
                "or a dict {source name: table}."
            )
        records = sources.rename(columns={key: "source_key"}).reset_index(drop=True)
    if "loyalty_card" in records and "card" not in records:
        records = records.rename(columns={"loyalty_card": "card"})
    records["source"] = records["source"].astype("str")
    records["source_key"] = records["source_key"].astype("str")
    twice = records.duplicated(["source", "source_key"])
    if twice.any():
        examples = records.loc[twice, ["source", "source_key"]].head(5).values.tolist()
        raise DataContractError(
            f"{int(twice.sum())} record(s) repeat a (source, source_key) pair, e.g. {examples}; "
            "each source record must have its own key."
        )
    if not any(f in records for f in FIELDS):
        raise ParameterError(f"the records carry none of the identity fields {list(FIELDS)}.")
    return records


def _normalized(records: pd.DataFrame, region: str, every_phone: bool = True) -> pd.DataFrame:
    """One column per rule with the normalized key (None where unusable).

    every_phone=False parses only the phone numbers that can matter when phones are compared
    for equality alone (the rules): those another record could share, and those of records
    sharing another key (compared field by field by the conflict guard). The rest stay None;
    the links found are the same (``phone_shortcut``).
    """

    def each(column: str, fn) -> pd.Series:
        if column not in records:
            return pd.Series(None, index=records.index, dtype="object")
        return normalize_each(records[column], fn)

    name = each("name", normalize_name)
    birth = each("birth_date", normalize_date)
    both = pd.Series(
        [
            f"{a}|{b}" if a is not None and b is not None else None
            for a, b in zip(name, birth, strict=True)
        ],
        index=records.index,
        dtype="object",
    )
    email, card = each("email", normalize_email), each("card", normalize_card)
    if every_phone or "phone" not in records:
        phone = each("phone", lambda v: normalize_phone(v, region))
    else:
        sharing = np.zeros(len(records), dtype=bool)
        for values in (email, card, both):
            sharing |= (values.notna() & values.duplicated(keep=False)).to_numpy()
        phone = linkable_phones(records["phone"], region, needed=sharing)
    return pd.DataFrame(
        {
            "email": email,
            "phone": phone,
            "card": card,
            "name+birth_date": both,
            "name": name,
            "birth_date": birth,
        }
    )


def _anchor_ids(records: pd.DataFrame, labels: np.ndarray) -> pd.Series:
    anchors = (records["source"] + "\x1f" + records["source_key"]).groupby(labels).min()
    ids = anchors.map(lambda a: "P" + hashlib.blake2b(a.encode(), digest_size=6).hexdigest())
    return ids


def _inherit(records, labels, fresh: pd.Series, previous: pd.DataFrame) -> pd.Series:
    """Keep earlier ids: each cluster takes the id most of its members had before."""
    old = previous.assign(
        source=previous["source"].astype(str), source_key=previous["source_key"].astype(str)
    ).set_index(["source", "source_key"])["customer_id"]
    had = pd.Series(
        old.reindex(pd.MultiIndex.from_frame(records[["source", "source_key"]])).to_numpy(),
        index=labels,
    ).dropna()
    if had.empty:
        return fresh
    votes = had.groupby(level=0).value_counts().rename("n").reset_index()
    votes.columns = ["cluster", "old_id", "n"]
    # the strongest claim on each old id wins it; each cluster takes its best remaining id
    votes = votes.sort_values(["n", "cluster"], ascending=[False, True], kind="stable")
    votes = votes.drop_duplicates("old_id").drop_duplicates("cluster")
    ids = fresh.copy()
    ids.loc[votes["cluster"].to_numpy()] = votes["old_id"].to_numpy()
    return ids


def resolve(
    sources: pd.DataFrame | dict[str, pd.DataFrame],
    key: str = "source_key",
    rules: tuple[str, ...] = RULES,
    max_records_per_key: int = 5,
    region: str = "GB",
    previous: pd.DataFrame | None = None,
    method: str = "splink",
    threshold: float = DEFAULT_THRESHOLD,
    random_state: int = 0,
) -> Resolution:
    """Link source records into customers (see the module docstring).

    sources: one table with ``source`` and ``key`` columns, or {source name: table with a
        ``key`` column}; identity fields: any of name, email, phone, card (or loyalty_card),
        birth_date, city, postcode, address (address is not compared).
    rules: which links to use with ``method="rules"``, a subset of ``RULES``.
    max_records_per_key: the over-merge cap: a key value on more records is not used.
    region: default phone region for numbers without a country code.
    previous: an earlier ``crosswalk`` whose ids should be kept where possible.
    method: "splink" (probabilistic, default) or "rules" (deterministic, fast).
    threshold: match probability from which two records are linked ("splink"; 0.99 is
        precision first: a link is at least 99:1 one person by the model's reckoning).
    random_state: seed of the random pairs that estimate u ("splink").
    """
    if method not in METHODS:
        raise ParameterError(f"method={method!r}: choose from {list(METHODS)}.")
    unknown = [r for r in rules if r not in RULES]
    if unknown or not rules:
        raise ParameterError(f"rules={rules!r}: choose from {list(RULES)}.")
    if max_records_per_key < 2:
        raise ParameterError(f"max_records_per_key={max_records_per_key} must be >= 2.")
    if not isinstance(threshold, int | float) or not 0 < threshold < 1:
        raise ParameterError(f"threshold={threshold!r}: give a match probability in (0, 1).")
    if not isinstance(random_state, int | np.integer):
        raise ParameterError(f"random_state={random_state!r}: give an integer seed.")
    records = _records(sources, key)
    norm = _normalized(records, region, every_phone=method != "rules")
    rules = tuple(rules) if method == "rules" else RULES  # the cap guards every key
    flagged, usable_keys = _over_cap(norm, rules, max_records_per_key)
    strong_rules = [r for r in rules if r != "name+birth_date"]
    strong = [_strong_links(rule, usable_keys[rule], norm) for rule in strong_rules]
    contested = [clash for link in strong for clash in link.clashes]
    extra: dict = {}
    if method == "rules":
        labels, linked_by, ambiguous = _rule_labels(records, rules, usable_keys, strong)
        rule_text = _rule_text(linked_by, rules)
    else:
        cannot = {pair for link in strong for pair in link.conflicts}
        labels, extra = _probabilistic_labels(
            records, _blank_flagged(norm, usable_keys), cannot, threshold, random_state
        )
        ambiguous = []
        sizes = np.bincount(labels, minlength=1)[labels] if len(labels) else labels
        rule_text = pd.Series(np.where(sizes > 1, "splink", "single"), index=records.index)
    ids = _anchor_ids(records, labels)
    if previous is not None:
        ids = _inherit(records, labels, ids, previous)
    crosswalk = pd.DataFrame(
        {
            "source": records["source"],
            "source_key": records["source_key"],
            "customer_id": ids.reindex(labels).to_numpy(),
            "rule": rule_text.to_numpy() if len(records) else [],
        }
    )
    return Resolution(
        crosswalk=crosswalk,
        flagged_keys=pd.DataFrame(flagged, columns=KEY_COLUMNS),
        conflicts=_conflicts(crosswalk, norm),
        ambiguous=pd.DataFrame(
            [
                {"name_and_birth_date": _mask("name+birth_date", v), "records": k}
                for v, k in ambiguous
            ],
            columns=["name_and_birth_date", "records"],
        ),
        contested_keys=pd.DataFrame(contested, columns=KEY_COLUMNS),
        parameters={
            "method": method,
            "rules": list(rules) if method == "rules" else [],
            "max_records_per_key": max_records_per_key,
            "region": region,
            **(
                {"threshold": threshold, "random_state": random_state} if method == "splink" else {}
            ),
            **extra.pop("parameters", {}),
        },
        **extra,
    )


def _over_cap(norm: pd.DataFrame, rules, cap: int) -> tuple[list[dict], dict[str, pd.Series]]:
    """Key values on more than ``cap`` records (flagged, masked) and, per rule, the
    normalized values that may link (flagged ones removed)."""
    flagged, usable = [], {}
    for rule in rules:
        values = norm[rule].dropna()
        too_many = values.map(values.value_counts()) > cap
        for value, count in values[too_many].value_counts().items():
            flagged.append({"rule": rule, "value": _mask(rule, value), "records": int(count)})
        usable[rule] = values[~too_many]
    return flagged, usable


def _blank_flagged(norm: pd.DataFrame, usable: dict[str, pd.Series]) -> pd.DataFrame:
    """The normalized fields with flagged key values removed (a shared name + birth date
    removes both), so no placeholder adds weight to a pair."""
    clean = norm.copy()
    for rule in ("email", "phone", "card"):
        clean[rule] = usable[rule].reindex(norm.index).astype("object")
    flagged = norm["name+birth_date"].notna() & ~norm.index.isin(usable["name+birth_date"].index)
    clean.loc[flagged, ["name", "birth_date"]] = None
    return clean


def _rule_labels(records, rules, usable_keys, strong):
    """Cluster labels by the deterministic rules, which rule linked each record, and the
    ambiguous name + birth date groups."""
    n = len(records)
    linked_by = pd.DataFrame(False, index=records.index, columns=list(rules))
    strong_rules = [r for r in rules if r != "name+birth_date"]
    rows, cols = [], []
    for rule, link in zip(strong_rules, strong, strict=True):
        rows.append(link.left)
        cols.append(link.right)
        linked_by.loc[np.unique(np.r_[link.left, link.right]), rule] = True
    labels = _components(n, rows, cols)
    ambiguous = []
    if "name+birth_date" in rules:
        shared = usable_keys["name+birth_date"]
        shared = shared[shared.duplicated(keep=False)]
        left, right, ambiguous = _weak_links(shared, labels, usable_keys, strong_rules)
        rows.append(left)
        cols.append(right)
        linked_by.loc[np.unique(np.r_[left, right]), "name+birth_date"] = True
        labels = _components(n, rows, cols)
    return labels, linked_by, ambiguous


def _rule_text(linked_by: pd.DataFrame, rules) -> pd.Series:
    text = pd.Series("", index=linked_by.index)
    for rule in rules:
        hit = linked_by[rule].to_numpy()
        text[hit] = np.where(text[hit] == "", rule, text[hit] + ", " + rule)
    text[text == ""] = "single"
    return text


def _positions(pairs: pd.DataFrame, order: np.ndarray) -> pd.DataFrame:
    """Pairs numbered in Splink's record order, renumbered to record positions (left < right)."""
    left, right = order[pairs["left"].to_numpy()], order[pairs["right"].to_numpy()]
    out = pairs.assign(left=np.minimum(left, right), right=np.maximum(left, right))
    return out.sort_values(["left", "right"], kind="stable").reset_index(drop=True)


def _probabilistic_labels(records, norm, cannot, threshold, random_state):
    """Cluster labels from the Splink model's links, after the contested-key and chaining
    guards; and the Resolution's probabilistic fields."""
    # Splink sees the records in (source, source_key) order, so its random pairs, and with
    # them the model, do not depend on the order the records came in
    order = np.lexsort((records["source_key"].to_numpy(), records["source"].to_numpy()))
    frame = splink_input(records.iloc[order], norm.iloc[order])
    scored, linker = score(frame, floor=REVIEW_FLOOR, random_state=random_state)
    pairs = _positions(scored.pairs, order)
    pair_ids = list(zip(pairs["left"].tolist(), pairs["right"].tolist(), strict=True))
    contested = np.array([p in cannot for p in pair_ids], dtype=bool)
    pairs["contested"] = contested
    pairs["linked"] = (pairs["match_probability"].to_numpy() >= threshold) & ~contested
    links = pairs[pairs["linked"]]
    labels = _components(len(records), [links["left"].to_numpy()], [links["right"].to_numpy()])
    sizes = np.bincount(labels)[labels]
    check = np.flatnonzero(sizes >= 3)  # a pair's own link is above the threshold
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    within = score_within(linker, frame, pd.Series(labels[check], index=rank[check]))
    within = _positions(within, order)
    against = within[within["match_weight"] - scored.prior_weight < SPLIT_EVIDENCE]
    forbidden = cannot | set(zip(against["left"].tolist(), against["right"].tolist(), strict=True))
    labels, split = split_chains(labels, links, forbidden)
    extra = {
        "pairs": pairs,
        "model": scored.model,
        "split_clusters": split,
        "review": borderline(pairs, scored.model, records, norm["name"], threshold),
        "parameters": {"prior": scored.prior, "trained": scored.trained},
    }
    return labels, extra


def _mask(rule: str, value: str) -> str:
    if rule in _MASK:
        return _MASK[rule](value)
    name, _, date = value.partition("|")
    return f"{mask_name(name)} {date[:4]}-**-**"


def _components(n: int, rows: list, cols: list) -> np.ndarray:
    """Cluster label per record: connected components of the link graph."""
    r = np.concatenate(rows) if rows else np.array([], dtype=np.int64)
    c = np.concatenate(cols) if cols else np.array([], dtype=np.int64)
    graph = coo_matrix((np.ones(len(r)), (r, c)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


@dataclass(frozen=True)
class _SharedKeyLinks:
    """Pairs sharing one strong key's value: links (left, right), the pairs a conflict
    keeps apart (left < right), and the contested values (masked)."""

    left: np.ndarray
    right: np.ndarray
    conflicts: list[tuple[int, int]]
    clashes: list[dict]


def _strong_links(rule: str, values: pd.Series, norm: pd.DataFrame) -> _SharedKeyLinks:
    """Links between records sharing a value of a strong key, except pairs that disagree in
    two other fields (``agreement.conflict``): those are reported, not linked."""
    shared = values[values.duplicated(keep=False)]
    fields = ["name", "birth_date", "email", "phone", "card"]
    others = tuple(k for k in ("email", "phone", "card") if k != rule)
    record = norm.loc[shared.index, fields].to_dict("index")
    left, right, conflicts, clashes = [], [], [], []
    for value, members in shared.groupby(shared, sort=True).groups.items():
        members = sorted(members)
        clash = 0
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if conflict(record[a], record[b], others):
                    clash += 1
                    conflicts.append((int(a), int(b)))
                else:
                    left.append(a)
                    right.append(b)
        if clash:
            clashes.append({"rule": rule, "value": _mask(rule, value), "records": len(members)})
    return _SharedKeyLinks(
        np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64), conflicts, clashes
    )


def _weak_links(shared: pd.Series, labels: np.ndarray, keys: dict, strong_rules: list):
    """Links by name + birth date between clusters formed by the strong keys.

    A group of records with the same name and birth date is merged only if no two of their
    clusters contradict each other on a strong key (both have e-mails, say, and none in
    common). Otherwise the group is ambiguous (namesakes born on the same day, or a record
    that could belong to either) and nothing in it is linked: precision first.
    Depends only on the set of records, not their order.
    """
    left, right, ambiguous = [], [], []
    involved = np.unique(labels[shared.index.to_numpy()])
    in_play = np.isin(labels, involved)
    key_sets: dict[tuple[int, str], set] = {}
    for rule in strong_rules:
        values = keys[rule]
        values = values[in_play[values.index.to_numpy()]]
        for label, group in values.groupby(labels[values.index.to_numpy()]):
            key_sets[(label, rule)] = set(group)
    for value, members in shared.groupby(shared, sort=True).groups.items():
        members = np.asarray(members)
        clusters = sorted(set(labels[members]))
        clash = any(
            (a, r) in key_sets and (b, r) in key_sets and not key_sets[(a, r)] & key_sets[(b, r)]
            for i, a in enumerate(clusters)
            for b in clusters[i + 1 :]
            for r in strong_rules
        )
        if clash:
            ambiguous.append((value, len(members)))
            continue
        left.extend(members[1:])
        right.extend([members[0]] * (len(members) - 1))
    return np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64), ambiguous


def _conflicts(crosswalk: pd.DataFrame, norm: pd.DataFrame) -> pd.DataFrame:
    """Clusters whose records disagree on birth date or name (masked examples)."""
    frame = pd.DataFrame(
        {
            "customer_id": crosswalk["customer_id"],
            "name": norm["name"],
            "birth_date": norm["birth_date"],
        }
    )
    multi = frame[frame.groupby("customer_id")["customer_id"].transform("size") > 1]
    out = []
    for column, mask in (("birth_date", lambda v: f"{v[:4]}-**-**"), ("name", mask_name)):
        distinct = multi.dropna(subset=[column]).groupby("customer_id")[column].unique()
        for cid, values in distinct[distinct.map(len) > 1].items():
            out.append(
                {
                    "customer_id": cid,
                    "field": column,
                    "distinct_values": len(values),
                    "examples": ", ".join(sorted({mask(v) for v in values})[:3]),
                }
            )
    return pd.DataFrame(out, columns=["customer_id", "field", "distinct_values", "examples"])
