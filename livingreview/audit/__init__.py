"""The audit: the papers' printed numbers recomputed and checked against each other, the
curators' findings, and the quotes checked against the source texts."""
