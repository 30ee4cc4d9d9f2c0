"""The book build (``make book``): plan, execute notebooks in warm kernels, assemble with
Jupyter Book, publish; releases and the build benchmark."""
