"""LLM backends (``base``, ``openai_compat``, ``local``) and the structured-output loop."""
