"""alike: image search and an embedded vector database, from Python.

The vector database::

    import numpy as np
    import alike

    with alike.open("vectors.alike") as db:
        col = db.create_collection("products", dim=128, metric="cosine")
        ids = np.arange(1000, dtype=np.uint64)
        col.upsert(ids, np.random.rand(1000, 128).astype(np.float32),
                   payloads=[{"shop": i % 3} for i in range(1000)])
        found, distances = col.search(np.random.rand(5, 128).astype(np.float32), k=10,
                                      filter={"shop": 1})

search() returns (nq, k) arrays padded with NO_ID and inf where fewer than k records match.
Errors are alike.Error and its subclasses NotFound, AlreadyExists, InvalidArgument (also a
ValueError), Corruption and IOError (also an OSError).
"""

from ._alike import (
    NO_ID,
    AlreadyExists,
    Collection,
    Corruption,
    Database,
    Error,
    Hit,
    InvalidArgument,
    IOError,
    NotFound,
    Record,
    __version__,
    open,
)

__all__ = [
    "NO_ID",
    "AlreadyExists",
    "Collection",
    "Corruption",
    "Database",
    "Error",
    "Hit",
    "InvalidArgument",
    "IOError",
    "NotFound",
    "Record",
    "__version__",
    "open",
]
