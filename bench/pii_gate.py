"""PII gate on hostile values: crmlab's linear scanners against the regex they replaced.

Each case is one value that a data set could carry (a 1 MB run of e-mail-local characters, a
run of digits and spaces, a long name-like text) rendered into a page; the previous gate's
e-mail regex backtracked over the whole run from every position. Prints seconds per case
for the whole new gate (page parse, e-mails, phones, names) and for the old e-mail regex
alone, side by side in one run; where the old regex is quadratic it runs on a tenth of the
text and is scaled by 100 (the full run would take minutes).
"""

from __future__ import annotations

import re
import time

import pandas as pd

from crmlab.reports.pii_gate import PIIGate, page_text

OLD_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
MB = 1_000_000
CASES = {
    "e-mail local characters": "a.b-c_d" * (MB // 7),
    "digits and spaces": "0740 " * (MB // 5),
    "names": "Paul Smith and " * (MB // 15),
    "markup": "<b title='@x'>" * (MB // 14),
}


def seconds(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def main() -> None:
    customers = pd.DataFrame({"phone": ["07401 242486"], "name": ["Paul Müller"]})
    gate = PIIGate.from_tables({"customers": customers})
    print(f"{'case (1 MB)':<26} {'crmlab s':>9} {'old e-mail re s':>14}   old regex")
    for name, text in CASES.items():
        page = f"<p>{text}</p>"
        new = seconds(lambda p: gate.findings(page_text(p)), page)
        tenth = seconds(OLD_EMAIL.findall, text[: len(text) // 10])
        # a quadratic case would take minutes on the whole text: scale the tenth (100x)
        old = tenth * 100 if tenth > 1 else seconds(OLD_EMAIL.findall, text)
        print(f"{name:<26} {new:>9.2f} {old:>14.2f}   {'quadratic' if tenth > 1 else 'linear'}")


if __name__ == "__main__":
    main()
