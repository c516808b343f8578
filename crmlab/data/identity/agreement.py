"""Do two records' names and birth dates allow them to be one person?

A strong key (e-mail, phone, card) shared by two records is strong evidence, but not proof:
a household shares a landline, a shop types its own number for walk-in customers. When the
names, birth dates or other contact keys of two records disagree in two places beyond what a
typing slip explains, the shared key alone never makes them one customer (``resolve`` lists
such keys instead).
"""

from __future__ import annotations

from datetime import date


def typing_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): the number of keystrokes
    (a letter replaced, dropped, added, or two neighbours swapped) between two words."""
    previous2, previous = [], list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                best = min(best, previous2[j - 2] + 1)
            current.append(best)
        previous2, previous = previous, current
    return previous[-1]


def _word_slip(x: str, y: str) -> bool:
    """Two words one slip apart (two for words of eight letters or more)."""
    return typing_distance(x, y) <= (2 if min(len(x), len(y)) >= 8 else 1)


def names_agree(a: str | None, b: str | None) -> bool | None:
    """True when two normalized names have the same words up to order and a typing slip
    per word, False otherwise, None when either is missing. Word by word, so a shared
    surname never makes "oscar taylor" and "asa taylor" agree."""
    if not _given(a) or not _given(b):
        return None
    left, right = sorted(a.split()), sorted(b.split())
    if len(left) != len(right):
        return False
    unmatched = list(right)
    for word in left:
        match = next((w for w in unmatched if _word_slip(word, w)), None)
        if match is None:
            return False
        unmatched.remove(match)
    return True


def dates_agree(a: str | None, b: str | None) -> bool | None:
    """True when two ISO birth dates are equal, a day apart, or day and month swapped;
    False otherwise; None when either is missing or unreadable."""
    if not _given(a) or not _given(b):
        return None
    try:
        x, y = date.fromisoformat(a), date.fromisoformat(b)
    except ValueError:
        return None
    swapped = x.year == y.year and x.day == y.month and x.month == y.day
    return abs((x - y).days) <= 1 or swapped


def _given(value) -> bool:
    return isinstance(value, str) and value != ""  # None and NaN are missing


def disagreements(a: dict, b: dict, keys: tuple[str, ...]) -> int:
    """How many fields of two records (normalized values) clearly disagree: the name (word
    by word, slips forgiven), the birth date (a day off or day/month swapped forgiven), and
    each of ``keys`` (e-mail, phone, card) present in both and different."""
    fields = [
        names_agree(a.get("name"), b.get("name")),
        dates_agree(a.get("birth_date"), b.get("birth_date")),
    ]
    fields += [a[k] == b[k] if _given(a.get(k)) and _given(b.get(k)) else None for k in keys]
    return sum(agree is False for agree in fields)


def conflict(a: dict, b: dict, keys: tuple[str, ...] = ("email", "phone", "card")) -> bool:
    """Two records that a shared key must not merge on its own: two or more fields clearly
    disagree (a household's landline: other name, other birth date; a father and son of one
    name: other birth date, other e-mail)."""
    return disagreements(a, b, keys) >= 2
