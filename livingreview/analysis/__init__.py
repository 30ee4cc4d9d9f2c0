"""The analysis model: every decision about what the review reports, made once per build.

For each outcome, setting and analysis set, :mod:`livingreview.analysis.model` decides which
studies and arms count (eligibility, integrity screen, regimen rules of ``review.yaml``), which
method the rules choose and why, and computes the estimate or says why there is none;
:mod:`livingreview.analysis.records` holds the records and words them. Pages render records and
decide nothing themselves.
"""
