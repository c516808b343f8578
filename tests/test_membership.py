"""is_in: Arrow's hash lookup for ID columns gives exactly what Series.isin gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab.data.membership import is_in


@pytest.mark.parametrize("dtype", ["str", object])
@pytest.mark.parametrize("kind", [pd.Series, pd.Index, set, list, np.array])
def test_is_in_agrees_with_isin(dtype, kind):
    rng = np.random.default_rng(0)
    values = pd.Series(rng.choice(["a", "b", "c", "é", "", None], 500), dtype=dtype)
    values.index = values.index * 3  # the result keeps the input's index
    known = kind(["a", "é", "", "z"])
    found = is_in(values, known)
    assert found.index.equals(values.index) and found.dtype == bool
    assert found.tolist() == values.isin(known).tolist()


def test_numbers_and_empty_sets_fall_back_to_isin():
    assert is_in(pd.Series([1, 2, None]), [1]).tolist() == [True, False, False]
    assert not is_in(pd.Series(["a"], dtype="str"), []).any()
    assert is_in(pd.Series(["1", "2"], dtype="str"), [1, "2"]).tolist() == [False, True]
    assert is_in(pd.Series(["1", "2"], dtype="str"), ["2", 1]).tolist() == [False, True]
