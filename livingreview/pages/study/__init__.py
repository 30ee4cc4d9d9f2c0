"""A study page: one view per section of ``notebooks/study.ipynb``, composed by
:class:`livingreview.pages.study.page.StudyPage` over one study's data."""
