"""The synthesis chapters (``notebooks/synthesis/``): one view per chapter, each a class
deriving from :class:`livingreview.pages.chapters.base.Chapter`, which holds what every
chapter reads (the studies, their settings, the main analyses and the findings)."""
