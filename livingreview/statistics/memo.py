"""Results of expensive computations shared between the pages of one build, and the next.

Several pages compute the same things: every synthesis chapter pools with the same
binomial-normal model, reconstructs the same arms and audits the same studies. During a build
(``make book``) such a function's result is kept on disk under the build cache, keyed by the
function, the **content** of its arguments and the package code, so another page, or the next
build, that asks the same question gets the stored answer, and a study whose data changed is
recomputed alone. Outside a build (the tests, a notebook opened by hand), nothing is kept.

Only functions whose result depends on nothing but their arguments are memoised; the key of
an argument that reads files (a :class:`livingreview.curated.studies.Study`) is the content of those files,
read, so that the page's recorded data dependencies (:mod:`livingreview.build.kernel`) still include
them.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from pathlib import Path

MEMO_ENV = "LIVINGREVIEW_MEMO_DIR"  # set by the build; the folder is per code version


def folder_digest(folder: Path) -> bytes:
    """Digest of the files of a folder (names and contents, sorted)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).iterdir() if p.is_file()):
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.digest()


def memoised(key_of):
    """Decorator: keep the function's results, under the digest ``key_of(*args, **kwargs)``
    (bytes, standing for everything the result depends on), while a build runs."""

    def decorate(function):
        name = f"{function.__module__}.{function.__qualname__}".encode()

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            folder = os.environ.get(MEMO_ENV)
            if not folder:
                return function(*args, **kwargs)
            key = hashlib.sha256(name + b"\0" + key_of(*args, **kwargs)).hexdigest()
            path = Path(folder) / f"{key}.pickle"
            try:
                with path.open("rb") as stored:
                    return pickle.load(stored)
            except (OSError, EOFError, pickle.UnpicklingError):
                pass
            result = function(*args, **kwargs)
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.partial")
            with partial.open("wb") as stored:
                pickle.dump(result, stored, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(partial, path)  # pages running in parallel never read half a file
            return result

        return wrapper

    return decorate


def by_value(*args, **kwargs) -> bytes:
    """Key of arguments that are plain values (numbers, strings, arrays, dataclasses of them)."""
    return pickle.dumps((args, sorted(kwargs.items())), protocol=pickle.HIGHEST_PROTOCOL)
