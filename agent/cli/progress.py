"""Progress bars of the long ``clinagent`` commands, on stderr.

A bar shows a stage name, counts and times only: never note text, patient ids or file
contents (the counts are of notes, statements and LLM calls). It is drawn when stderr is a
terminal, except while the command streams its results to the same terminal on stdout
(there the results themselves show progress, and a bar would be torn by them). ``--quiet``,
``--no-progress`` or ``CLINAGENT_PROGRESS=0`` turn it off; ``CLINAGENT_PROGRESS=1`` forces
it on even when stderr is not a terminal (logs, tests). stdout is never touched, so JSON
piped to a file stays clean.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from agent.schemas.extraction import Entity, NoteExtraction
from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note

ENV_VAR = "CLINAGENT_PROGRESS"
_ON = {"1", "true", "yes", "on", "always"}
_OFF = {"0", "false", "no", "off", "never"}

# The option each long command takes (also accepted before the command: clinagent
# --no-progress extract ...).
NoProgress = Annotated[bool, typer.Option(
    "--no-progress", help="No progress bar on stderr (also: clinagent --quiet, or "
    "CLINAGENT_PROGRESS=0)")]

T = TypeVar("T")


class _State:
    """Set once per invocation by the app callback (--quiet / --no-progress)."""

    is_off = False


def configure(*, is_off: bool) -> None:
    """Record the global --quiet / --no-progress flags of this invocation."""
    _State.is_off = is_off


def mode(*, no_progress: bool = False, streams_stdout: bool = False) -> str:
    """Whether a bar is drawn: ``"forced"``, ``"on"`` or ``"off"``.

    Args:
        no_progress: the command's own --no-progress flag.
        streams_stdout: the command writes its results to stdout while the bar would run.
    """
    env = os.environ.get(ENV_VAR, "").strip().lower()
    if no_progress or _State.is_off or env in _OFF:
        return "off"
    if env in _ON:
        return "forced"
    if not _isatty(sys.stderr):
        return "off"
    if streams_stdout and _isatty(sys.stdout):
        return "off"
    return "on"


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Bars:
    """One bar per stage, one stage at a time; a no-op when progress is off.

    Use as a context manager so the display is closed (cursor restored) on any exit.

    Args:
        no_progress: the command's --no-progress flag.
        streams_stdout: the command writes results to stdout while the bars run.
    """

    def __init__(self, *, no_progress: bool = False, streams_stdout: bool = False) -> None:
        how = mode(no_progress=no_progress, streams_stdout=streams_stdout)
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if how == "off":
            return
        # stderr only, and stdout/stderr are not redirected through the display: results
        # written to stdout meanwhile must reach it byte for byte.
        console = Console(stderr=True, force_terminal=True if how == "forced" else None)
        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
            console=console, redirect_stdout=False, redirect_stderr=False)

    @property
    def is_shown(self) -> bool:
        """Whether bars are drawn."""
        return self._progress is not None

    def __enter__(self) -> Bars:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Finish the current stage and stop drawing."""
        if self._progress is not None:
            self._finish_task()
            self._progress.stop()
            self._progress = None

    def stage(self, name: str, total: int | None = None) -> None:
        """Start a stage (the previous one is shown complete).

        Args:
            name: what is being done, e.g. "extracting notes" (never data).
            total: how many steps, None when unknown (a pulsing bar and a count).
        """
        if self._progress is None:
            return
        self._finish_task()
        self._task = self._progress.add_task(name, total=total)

    def advance(self, steps: int = 1) -> None:
        """Count ``steps`` more done in the current stage."""
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, steps)

    def update(self, done: int, total: int | None = None, *,
               name: str | None = None) -> None:
        """Set the current stage's count (and total, and its name: "notes, 2 failed")."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done, total=total,
                                  **({"description": name} if name is not None else {}))

    def _finish_task(self) -> None:
        if self._progress is None or self._task is None:
            return
        task = self._progress.tasks[-1]
        self._progress.update(self._task, total=task.completed)
        self._task = None


def counted(items: Iterable[T], bars: Bars) -> Iterator[T]:
    """Yield ``items``, counting each in the current stage."""
    for item in items:
        yield item
        bars.advance()


def count_inputs(path: Path) -> int | None:
    """How many notes an input holds, at most (non-blank JSON Lines lines, .txt files):
    the total of a per-note bar. None when it cannot be told (a missing path)."""
    if path.is_dir():
        files = [f for f in sorted(path.iterdir()) if f.suffix.lower() in (".txt", ".jsonl")]
    elif path.is_file():
        files = [path]
    else:
        return None
    count = 0
    for f in files:
        if f.suffix.lower() in (".jsonl", ".json", ".ndjson"):
            with f.open("rb") as fh:
                count += sum(1 for raw in fh if raw.strip())
        else:
            count += 1
    return count


class CountingExtractor:
    """An :class:`~agent.schemas.extraction.Extractor` that reports its work to ``bars``.

    ``extract_note`` calls are the notes stage (``notes`` of them); the first ``extract``
    call after them opens the verifier's stage (the verifier reads each statement with
    ``extract``). Everything else is delegated to the wrapped extractor.

    Args:
        inner: the real extractor.
        bars: where to count.
        notes: how many notes will be extracted.
        statements: how many statements the verifier will check, if known.
        then: the stage shown once every note is extracted (e.g. "summarizing").
    """

    def __init__(self, inner: Any, bars: Bars, notes: int, *,
                 statements: int | None = None, then: str | None = None) -> None:
        self._inner = inner
        self._bars = bars
        self._notes = notes
        self._done = 0
        self._statements = statements
        self._then = then
        self._stage = "notes"
        bars.stage("extracting notes", notes)

    def extract_note(self, note: Note) -> NoteExtraction:
        """Extract a note and count it."""
        result = self._inner.extract_note(note)
        self._bars.advance()
        self._done += 1
        if self._done == self._notes and self._then:
            self._bars.stage(self._then)
        return result

    def extract(self, text: str) -> list[Entity]:
        """Entities of a statement (the verifier's step), counted."""
        if self._stage != "verify":
            self._stage = "verify"
            self._bars.stage("verifying statements", self._statements)
        result = self._inner.extract(text)
        self._bars.advance()
        return result

    def layout(self, text: str, entities: list[Entity]) -> NoteLayout:
        """The layout of a text (not counted)."""
        return self._inner.layout(text, entities)

    def __getattr__(self, name: str) -> Any:
        # Attributes beyond the protocol (the clinical pipeline, vocabularies) are the
        # wrapped extractor's.
        return getattr(self._inner, name)


class CountingBackend:
    """A :class:`~agent.llm.base.ChatBackend` that counts its calls in ``bars`` (the
    number of LLM calls of a hierarchical summary is not known in advance).

    Args:
        inner: the real backend.
        bars: where to count.
        stage: the stage name opened on the first call.
    """

    def __init__(self, inner: Any, bars: Bars, stage: str = "LLM calls") -> None:
        self._inner = inner
        self._bars = bars
        self._stage_name = stage
        self._is_started = False

    def generate(self, messages: list[Any], **kwargs: Any) -> Any:
        """One LLM call, counted when it returns (or fails)."""
        if not self._is_started:
            self._is_started = True
            self._bars.stage(self._stage_name)
        try:
            return self._inner.generate(messages, **kwargs)
        finally:
            self._bars.advance()

    def __getattr__(self, name: str) -> Any:
        # name, model and the other backend attributes recorded in provenance.
        return getattr(self._inner, name)
