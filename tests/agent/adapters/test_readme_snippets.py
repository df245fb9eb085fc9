"""The README's adapter examples run as written: every ```python block of the section
"## Adapters (LangChain, spaCy, Presidio)" is executed in a fresh namespace, in one
subprocess started in an empty folder (the snippets write there)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

# A fresh interpreter loads the models the snippets use (~25 s): the full gate runs it, the
# developer loop does not.
pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parents[3]
HEADING = "## Adapters (LangChain, spaCy, Presidio)"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
RUNNER = """
import json, sys
for i, code in enumerate(json.loads(sys.stdin.read())):
    try:
        exec(compile(code, f"README snippet {i + 1}", "exec"), {"__name__": "__readme__"})
    except Exception:
        print(f"README snippet {i + 1} failed", file=sys.stderr)
        raise
"""


def readme_snippets(markdown: str) -> list[str]:
    """The ```python blocks of the adapters section (up to the next ``## `` heading)."""
    heading = re.search(rf"^{re.escape(HEADING)}[ \t]*$", markdown, re.MULTILINE)
    if heading is None:
        return []
    rest = markdown[heading.end():]
    end = re.search(r"^## ", rest, re.MULTILINE)
    return _BLOCK.findall(rest[:end.start()] if end else rest)


def test_snippet_reader_takes_only_the_section_blocks():
    text = (f"# T\n```python\nx = 0\n```\n{HEADING}\n### LangChain\n```python\na = 1\n```\n"
            "```bash\nls\n```\n### spaCy\n```python\nb = 2\n```\n## Next\n```python\nc\n```\n")
    assert readme_snippets(text) == ["a = 1\n", "b = 2\n"]


def test_readme_adapter_snippets_run_as_written(tmp_path):
    pytest.importorskip("langchain_core", reason='needs the langchain extra: pip install -e '
                        '".[langchain]"')
    pytest.importorskip("presidio_anonymizer", reason='needs the presidio extra: pip '
                        'install -e ".[presidio]"')
    snippets = readme_snippets((ROOT / "README.md").read_text(encoding="utf-8"))
    if not snippets:
        pytest.skip(f"README.md has no section {HEADING!r} with python blocks yet (its text "
                    "is in the adapters request, to be pasted by the integrator)")
    out = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(snippets),
                         cwd=tmp_path, capture_output=True, text=True, timeout=600,
                         env={**_env(), "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]


def _env() -> dict[str, str]:
    import os

    # The snippets read the default settings, never a developer's clinagent.env (the
    # subprocess runs in an empty folder) nor CLINAGENT_* variables of this shell.
    return {k: v for k, v in os.environ.items() if not k.startswith("CLINAGENT_")}
