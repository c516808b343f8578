"""Deterministic identity resolution: link source records that share a strong key.

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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ...errors import DataContractError, ParameterError
from ..personal import looks_like_contact
from ..privacy import mask_email, mask_name, mask_phone, pseudonymize
from .agreement import conflict
from .keys import normalize_card, normalize_date, normalize_email, normalize_name, normalize_phone

RULES = ("email", "phone", "card", "name+birth_date")
FIELDS = ("name", "email", "phone", "card", "address", "birth_date")
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
    """

    crosswalk: pd.DataFrame
    flagged_keys: pd.DataFrame
    conflicts: pd.DataFrame
    ambiguous: pd.DataFrame
    parameters: dict = field(default_factory=dict)
    contested_keys: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=KEY_COLUMNS))

    @property
    def cluster_sizes(self) -> pd.Series:
        """Number of customers by records per customer."""
        sizes = self.crosswalk.groupby("customer_id").size()
        return sizes.value_counts().sort_index().rename_axis("records").rename("customers")

    def links_by_rule(self) -> pd.Series:
        """Records linked by each rule (a record linked by two rules counts for both)."""
        counts = self.crosswalk["rule"].str.split(", ", regex=False).explode().value_counts()
        return counts.reindex([*RULES, "single"], fill_value=0).rename("records")

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
            ("ambiguous name + birth date groups (not linked)", len(self.ambiguous)),
        ]
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


def _normalized(records: pd.DataFrame, region: str) -> pd.DataFrame:
    """One column per rule with the normalized key (None where unusable)."""

    def each(column: str, fn) -> pd.Series:
        if column not in records:
            return pd.Series(None, index=records.index, dtype="object")
        values = records[column].astype("object")
        values = values.where(values.notna(), None).tolist()
        cache = {v: fn(v) for v in dict.fromkeys(values)}  # each distinct spelling once
        return pd.Series([cache[v] for v in values], index=records.index, dtype="object")

    name = each("name", normalize_name)
    birth = each("birth_date", normalize_date)
    both = [
        f"{a}|{b}" if a is not None and b is not None else None
        for a, b in zip(name, birth, strict=True)
    ]
    return pd.DataFrame(
        {
            "email": each("email", normalize_email),
            "phone": each("phone", lambda v: normalize_phone(v, region)),
            "card": each("card", normalize_card),
            "name+birth_date": pd.Series(both, index=records.index, dtype="object"),
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
) -> Resolution:
    """Link source records into customers (see the module docstring).

    sources: one table with ``source`` and ``key`` columns, or {source name: table with a
        ``key`` column}; identity fields: any of name, email, phone, card (or loyalty_card),
        address, birth_date.
    rules: which links to use, a subset of ``RULES``.
    max_records_per_key: the over-merge cap: a key value on more records is not used.
    region: default phone region for numbers without a country code.
    previous: an earlier ``crosswalk`` whose ids should be kept where possible.
    """
    unknown = [r for r in rules if r not in RULES]
    if unknown or not rules:
        raise ParameterError(f"rules={rules!r}: choose from {list(RULES)}.")
    if max_records_per_key < 2:
        raise ParameterError(f"max_records_per_key={max_records_per_key} must be >= 2.")
    records = _records(sources, key)
    norm = _normalized(records, region)
    n = len(records)
    rows, cols, flagged = [], [], []
    linked_by = pd.DataFrame(False, index=records.index, columns=list(rules))
    usable_keys = {}  # rule -> normalized values that may link (flagged ones removed)
    for rule in rules:
        values = norm[rule].dropna()
        sizes = values.map(values.value_counts())
        too_many = sizes > max_records_per_key
        for value, count in values[too_many].value_counts().items():
            flagged.append({"rule": rule, "value": _mask(rule, value), "records": int(count)})
        usable_keys[rule] = values[~too_many]
    strong_rules = [r for r in rules if r != "name+birth_date"]
    contested = []  # keys shared by records that disagree in two other fields
    for rule in strong_rules:
        left, right, clashes = _strong_links(rule, usable_keys[rule], norm)
        rows.append(left)
        cols.append(right)
        linked_by.loc[np.unique(np.r_[left, right]), rule] = True
        contested.extend(clashes)
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
    ids = _anchor_ids(records, labels)
    if previous is not None:
        ids = _inherit(records, labels, ids, previous)
    rule_text = pd.Series("", index=records.index)
    for rule in rules:
        hit = linked_by[rule].to_numpy()
        rule_text[hit] = np.where(rule_text[hit] == "", rule, rule_text[hit] + ", " + rule)
    rule_text[rule_text == ""] = "single"
    crosswalk = pd.DataFrame(
        {
            "source": records["source"],
            "source_key": records["source_key"],
            "customer_id": ids.reindex(labels).to_numpy(),
            "rule": rule_text.to_numpy() if n else [],
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
            "rules": list(rules),
            "max_records_per_key": max_records_per_key,
            "region": region,
        },
    )


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


def _strong_links(rule: str, values: pd.Series, norm: pd.DataFrame):
    """Links between records sharing a value of a strong key, except pairs that disagree in
    two other fields (``agreement.conflict``): those are reported, not linked."""
    shared = values[values.duplicated(keep=False)]
    fields = ["name", "birth_date", "email", "phone", "card"]
    others = tuple(k for k in ("email", "phone", "card") if k != rule)
    record = norm.loc[shared.index, fields].to_dict("index")
    left, right, clashes = [], [], []
    for value, members in shared.groupby(shared, sort=True).groups.items():
        members = sorted(members)
        clash = 0
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if conflict(record[a], record[b], others):
                    clash += 1
                else:
                    left.append(a)
                    right.append(b)
        if clash:
            clashes.append({"rule": rule, "value": _mask(rule, value), "records": len(members)})
    return np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64), clashes


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
