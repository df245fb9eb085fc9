"""``python -m agent.cli``: the same app as the ``clinagent`` script."""

from agent.cli import app

app(prog_name="clinagent")
