"""Optional RxNorm codes from a user-supplied RXNCONSO.RRF (not redistributable here).

RxNorm full releases need a free UMLS licence, so clinagent ships none; a site that has one
points :meth:`RxNormTable.from_path` at its ``RXNCONSO.RRF``. Columns per the NLM RxNorm
technical documentation: RXCUI|LAT|TS|LUI|STT|SUI|ISPREF|RXAUI|SAUI|SCUI|SDUI|SAB|TTY|CODE|
STR|SRL|SUPPRESS|CVF|. Only RxNorm's own atoms (SAB=RXNORM) that are not suppressed are
kept, for the term types ingredient (IN, PIN), brand (BN) and clinical drug (SCD, SBD).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from agent.errors import VocabularyError
from agent.nlp.vocab.terms import normalize_phrase

TERM_TYPES = frozenset({"IN", "PIN", "BN", "SCD", "SBD"})
_COLUMNS = 18
_FIX = ("download the RxNorm full release from NLM (UMLS licence) and pass the path of "
        "rrf/RXNCONSO.RRF, or leave RxNorm unset")


class RxNormAtom(NamedTuple):
    """One RxNorm concept name."""

    rxcui: str
    tty: str
    name: str


@dataclass
class RxNormTable:
    """Normalised name -> RxNorm atoms (IN, PIN, BN, SCD, SBD)."""

    by_name: dict[str, list[RxNormAtom]] = field(default_factory=dict)

    @classmethod
    def from_path(cls, path: str | Path) -> RxNormTable:
        """Read a RXNCONSO.RRF file.

        Args:
            path: the user's RXNCONSO.RRF.

        Returns:
            The table.

        Raises:
            VocabularyError: the file is missing, unreadable, or has no RxNorm rows of the
                expected layout.
        """
        p = Path(path)
        if not p.is_file():
            raise VocabularyError("RxNorm", f"file not found: {p}", _FIX)
        table = cls()
        bad_rows = 0
        try:
            with p.open(encoding="utf-8") as f:
                for line in f:
                    cols = line.rstrip("\n").split("|")
                    if len(cols) < _COLUMNS:
                        bad_rows += 1
                        continue
                    rxcui, sab, tty, name = cols[0], cols[11], cols[12], cols[14]
                    suppress = cols[16]
                    if sab != "RXNORM" or tty not in TERM_TYPES or suppress not in ("N", ""):
                        continue
                    table.by_name.setdefault(normalize_phrase(name), []).append(
                        RxNormAtom(rxcui, tty, name))
        except (OSError, UnicodeDecodeError) as e:
            raise VocabularyError("RxNorm", f"cannot read {p} ({e})", _FIX) from e
        if not table.by_name:
            raise VocabularyError(
                "RxNorm", f"{p} has no RXNORM IN/BN/SCD rows ({bad_rows} malformed lines)",
                "check that it is RXNCONSO.RRF (18 pipe-separated columns), not another file")
        return table

    def lookup(self, name: str, term_types: frozenset[str] = TERM_TYPES) -> list[RxNormAtom]:
        """Return the atoms whose name equals ``name`` (case and punctuation ignored)."""
        return [a for a in self.by_name.get(normalize_phrase(name), []) if a.tty in term_types]
