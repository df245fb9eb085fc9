"""Settings of the privacy checks (``Settings.privacy``): the release policy applied in the
de-identification step, the risk thresholds a release must meet and output monitoring."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PrivacySettings(BaseModel):
    """Release policy, risk thresholds and output monitoring."""

    model_config = ConfigDict(extra="forbid")

    release_policy: str | None = Field(
        default=None, description="Release policy applied in the de-identification step "
        "(agent/privacy/policies.yaml: safe_harbor, research, strict); None = de-id only.")
    policy_file: str | None = Field(
        default=None, description="A replacement policies file (policies.yaml format).")
    k_threshold: int = Field(
        default=5, ge=2, description="Equivalence classes smaller than this are 'at risk'.")
    max_prosecutor_risk: float = Field(
        default=0.2, gt=0.0, le=1.0, description="Highest prosecutor risk (1/min k) a "
        "release may have; the report searches the policy lattice for it.")
    max_suppressed_share: float = Field(
        default=0.05, ge=0.0, le=1.0, description="Share of records the lattice search may "
        "suppress (the records of classes too small for max_prosecutor_risk; ARX's "
        "suppression limit).")
    max_linkage_share: float = Field(
        default=0.05, ge=0.0, le=1.0, description="Share of patients a linkage attack may "
        "re-identify in a release (clinagent eval privacy fails above it).")
    population_size: int | None = Field(
        default=None, ge=1, description="Size of the population the corpus was drawn "
        "from (journalist risk and population uniques); None = the sample is the "
        "population.")
    rare_code_threshold: int = Field(
        default=5, ge=1, description="A diagnosis code held by fewer patients than this is "
        "rare (a quasi-identifier; suppressed or generalized by policies that say so).")
    sensitive_attribute: Literal["diagnosis_category", "occupation", "country"] = Field(
        default="diagnosis_category", description="Attribute whose l-diversity the report "
        "gives (the values a class's members share reveal it for all of them).")
    monitor_sample_rate: float = Field(
        default=0.1, ge=0.0, le=1.0, description="Share of de-identified outputs the second "
        "detector scans in the service (0 = off).")
