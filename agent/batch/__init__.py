"""Corpus-scale batch runs (``clinagent batch``): read notes, run the chosen stages
(de-identify, extract, index, LLM) on the local engine or on Ray Data, and write result
shards exactly once, resumable after a crash."""
