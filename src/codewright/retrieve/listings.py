"""Environment listings in a task's text: the installed packages and their versions, left out of what find reads.

Bug reports paste `pip list`, `pip freeze`, `conda list` or a `show_versions()` report: dozens to hundreds of
dependency names, each once. They name the reporter's environment, not the code at fault, yet their words
crowd the task's own out of the BM25 query (whose length is capped) and match code that imports those
packages. A listing is a run of at least `MIN_RUN` lines that each hold a name and a version and little else:
one such line ("pytest 6.0.0rc0") is prose, and stays. pip's own progress lines that name the packages it installs
(`Installing collected packages: a, b, ...`, `Successfully installed a-1.0 b-2.0 ...`, `Requirement already
satisfied: ...`) are listings by themselves: each one can name a hundred packages.
"""

from __future__ import annotations

import re
from itertools import groupby

MIN_RUN = 3
# name, then a version after "==", ":" or "=" (`numpy==1.19.1`, `numpy: 1.19.1`, `numpy=1.19.1=py38h`), or after
# blanks when it has a dot (`attrs   19.1.0`, so `return 1` is not one); at most two more columns (build and
# channel, or pip's location)
_LISTED = re.compile(
    r"^[ \t]*(?:[-*][ \t]+)?[A-Za-z][\w.\-\[\]]*"
    r"(?:[ \t]*(?:==|:)[ \t]*v?\d[\w.+\-!]*|=\d[\w.+\-!=]*|[ \t]+v?\d+\.[\w.+\-!]*)"
    r"(?:[ \t]+\S+){0,2}[ \t]*$"
)
_PIP = re.compile(r"^[ \t]*(?:Installing collected packages:|Successfully installed |Requirement already satisfied:)")


def without_listings(text: str) -> str:
    """`text` less its environment listings; everything else, line breaks included, as it was."""
    kept: list[str] = []
    for listed, group in groupby(text.splitlines(keepends=True), key=lambda line: bool(_LISTED.match(line.rstrip()))):
        lines = list(group)
        if not listed or len(lines) < MIN_RUN:
            kept.extend(line for line in lines if not _PIP.match(line))
    return "".join(kept)
