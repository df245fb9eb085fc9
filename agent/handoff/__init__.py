"""Patient timeline, extractive and hierarchical (LLM) I-PASS handoff summaries, rendering."""
