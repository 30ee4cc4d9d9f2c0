"""The results table every page writes, the releases recorded from it, and what changed
between two of them."""
