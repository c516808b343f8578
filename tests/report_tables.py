"""Read the tables a published report shows, to compare them with the library's numbers."""

from __future__ import annotations

import pandas as pd
from bs4 import BeautifulSoup


def report_tables(html: str) -> list[pd.DataFrame]:
    """Every ``<table>`` of the page as a frame of the strings shown (header row = columns)."""
    tables = []
    for table in BeautifulSoup(html, "html.parser").find_all("table"):
        rows = [
            [cell.get_text(strip=True) for cell in row.find_all(["th", "td"])]
            for row in table.find_all("tr")
        ]
        if rows:
            tables.append(pd.DataFrame(rows[1:], columns=rows[0]))
    return tables


def table_with(html: str, *columns: str) -> pd.DataFrame:
    """The first table that has all ``columns`` (AssertionError when none has)."""
    found = [t for t in report_tables(html) if set(columns) <= set(t.columns)]
    assert found, f"no table with columns {columns}"
    return found[0]


def page_text(html: str) -> str:
    """The page as a reader sees it: text without markup, entities decoded."""
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())
