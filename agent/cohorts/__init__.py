"""Cohort and phenotype queries over extracted facts (issue 19): the fact table, the query
language, its compilation to SQL and the results with evidence."""
