"""livingreview: curated evidence, re-analysis and synthesis for a living evidence review book."""

__version__ = "0.2.0"
