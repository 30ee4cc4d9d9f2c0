"""The review's statistics: intervals, meta-analysis, odds ratios, survival reconstruction and
its harness, pooling within settings, the findings, their GRADE certainty and wording."""
