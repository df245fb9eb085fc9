"""Privacy beyond redaction: release policies and quasi-identifier generalization, the
re-identification risk of a de-identified corpus, linkage attacks and output monitoring.

Nothing heavy is imported here; matplotlib loads only when a report draws its plots.
"""
