"""Benchmark: identity resolution of 1,000,000 source records with real-world mistakes.

    python bench/identity.py [--records 1_000_000] [--skip-plain] [--methods rules splink]

Builds records with the synthetic world's own generators (not timed): people with a name,
e-mail, UK mobile, birth date and city; 10% of them appear a second time from the store or
the phone channel with formatting variants ("Last, First", upper case, national phone
format, Gmail dots and +tags), and 60% of those second records carry one or two mistakes
(``synth_identity``: keystroke typos, swapped names, missing or placeholder contacts, birth
date a day off or day/month swapped); 2% of same-surname people share a household phone.

Side by side, in one run, scored pairwise against the planted truth:
* crmlab ``resolve(method="splink")``: crmlab cleaning + the Splink model + guards
  (target: under 5 minutes on 2 cores);
* crmlab ``resolve(method="rules")`` (target: under 60 s);
* plain Splink with its documented library comparisons on the raw fields, no crmlab
  cleaning (name Jaro-Winkler, ``EmailComparison``, phone exact, ``DateOfBirthComparison``;
  blocking on e-mail, phone, name + birth date; u by sampling, EM), same threshold.
"""

from __future__ import annotations

import argparse
import logging
import resource
import time

import numpy as np
import pandas as pd

from crmlab.data import synth
from crmlab.data.identity import resolve
from crmlab.data.synth_identity import plant_errors

THRESHOLD = 0.99


def make_records(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """n source records (source, source_key, name, email, phone, birth_date, city) and the
    person each belongs to."""
    rng = np.random.default_rng(seed)
    params = synth.WorldParams(duplicate_share=0.1)
    people_n = round(n / (1 + params.duplicate_share))
    people = pd.DataFrame(
        {
            "customer_id": [f"C{i:07d}" for i in range(1, people_n + 1)],
            "acquired_day": rng.uniform(0, 700, people_n),
            "signup_channel": rng.choice(["web", "app"], people_n),
        }
    )
    people.attrs["origin"] = pd.Timestamp("2023-01-01", tz="UTC")
    customers = synth._customers(rng, people, params)
    no_events = pd.DataFrame(
        {
            "customer_id": pd.Series(dtype=str),
            "channel": pd.Series(dtype=str),
            "ordered_at": pd.Series(dtype="datetime64[ns, UTC]"),
        }
    )
    customers, _, _, duplicates = synth._duplicate_records(
        rng, customers, no_events.copy(), no_events.copy(), params
    )
    customers, _ = plant_errors(
        rng, customers, duplicates, params.identity_error_share, params.family_phone_share
    )
    person = pd.Series(customers["customer_id"].to_numpy(), index=customers["customer_id"])
    person.loc[duplicates["customer_id"].to_numpy()] = duplicates["original_customer_id"].to_numpy()
    records = pd.DataFrame(
        {
            "source": customers["signup_channel"],
            "source_key": customers["customer_id"],
            "name": customers["name"],
            "email": customers["email"],
            "phone": customers["phone"],
            "birth_date": customers["birth_date"].dt.strftime("%Y-%m-%d"),
            "city": customers["city"],
        }
    )
    return records, pd.factorize(person.to_numpy())[0]


def plain_splink(records: pd.DataFrame) -> np.ndarray:
    """Splink as its documentation sets it up, on the fields as delivered."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = records.drop(columns="source").rename(columns={"source_key": "unique_id"})
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name"),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("city"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("name", "birth_date"),
        ],
    )
    linker = Linker(DuckDBAPI().register(frame), settings, log_level=logging.ERROR)
    deterministic = [block_on("email"), block_on("phone")]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=0)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("name", "birth_date")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    edges = linker.inference.predict(threshold_match_probability=THRESHOLD)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(edges, THRESHOLD)
    labels = clusters.as_pandas_dataframe().set_index("unique_id")["cluster_id"]
    return pd.factorize(labels.reindex(records["source_key"]).to_numpy())[0]


def pair_scores(labels: np.ndarray, person: np.ndarray) -> tuple[float, float]:
    """Pairwise precision and recall (pairs counted per cluster, no enumeration)."""
    frame = pd.DataFrame({"c": labels, "p": person})

    def pairs(counts: pd.Series) -> float:
        return float((counts * (counts - 1) / 2).sum())

    both = pairs(frame.groupby(["c", "p"]).size())
    found, true = pairs(frame.groupby("c").size()), pairs(frame.groupby("p").size())
    return (both / found if found else 1.0), (both / true if true else 1.0)  # as evaluate()


def _report(name: str, seconds: float, labels: np.ndarray, person: np.ndarray) -> None:
    precision, recall = pair_scores(labels, person)
    print(
        f"{name:<34} {seconds:7.1f} s   precision {precision:.4f}   recall {recall:.4f}   "
        f"customers {len(np.unique(labels)):,}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--skip-plain", action="store_true", help="leave out plain Splink")
    parser.add_argument(
        "--methods", nargs="+", default=["rules", "splink"], choices=["rules", "splink"]
    )
    args = parser.parse_args()
    t0 = time.perf_counter()
    records, person = make_records(args.records)
    built = time.perf_counter() - t0
    print(f"built {len(records):,} source records in {built:.1f} s (not timed)", flush=True)
    times = {}
    for method in args.methods:
        t0 = time.perf_counter()
        result = resolve(records, method=method, threshold=THRESHOLD)
        times[method] = time.perf_counter() - t0
        labels = pd.factorize(result.crosswalk["customer_id"])[0]
        target = "< 60 s" if method == "rules" else "< 300 s"
        _report(f"crmlab {method} (target {target})", times[method], labels, person)
    if not args.skip_plain:
        t0 = time.perf_counter()
        try:
            labels = plain_splink(records)
        except Exception as error:  # e.g. EM finds no raw name + birth date pairs to train on
            reason = str(error).splitlines()[0]
            print(f"plain Splink, no crmlab cleaning: failed ({type(error).__name__}: {reason})")
        else:
            times["plain"] = time.perf_counter() - t0
            _report("plain Splink, no crmlab cleaning", times["plain"], labels, person)
            if "splink" in times:
                print(f"crmlab splink / plain Splink time: {times['splink'] / times['plain']:.2f}x")
    if {"splink", "rules"} <= times.keys():
        print(f"crmlab splink / crmlab rules time: {times['splink'] / times['rules']:.1f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak memory: {peak:.1f} GB")


if __name__ == "__main__":
    main()
