"""``random_state``: the one way every stochastic crmlab function takes its randomness.

Accepted values, as in scikit-learn: an ``int`` (the same number gives the same result), a
``numpy.random.Generator`` (draws continue from it), or ``None`` (fresh, unrepeatable
randomness). Package defaults are ``0`` so that a re-run report reproduces its numbers.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import ParameterError

RandomState = int | np.random.Generator | None


def generator(random_state: RandomState) -> np.random.Generator:
    """A numpy Generator for ``random_state`` (see the module docstring)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None:
        return np.random.default_rng()
    return np.random.default_rng(integer_seed(random_state))


def integer_seed(random_state: RandomState) -> int:
    """An int for libraries that want one (scikit-learn, pandas ``sample``): the int itself,
    or one drawn from the Generator (so a shared Generator still gives different draws)."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    if random_state is None:
        return int(np.random.default_rng().integers(0, 2**31 - 1))
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise ParameterError(
            f"random_state={random_state!r}: give an int (same number, same result), a "
            "numpy.random.Generator, or None."
        )
    if random_state < 0:
        raise ParameterError(f"random_state={random_state!r} must be >= 0.")
    return int(random_state)
