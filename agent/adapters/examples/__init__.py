"""Runnable examples of the adapters (python -m agent.adapters.examples.<name>)."""
