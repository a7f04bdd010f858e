"""alike: image search and an embedded vector database, from Python.

An image library (the one the alike command line uses)::

    import alike

    with alike.Library("photos/.alike") as lib:
        lib.index("photos", progress=True)
        for hit in lib.search("query.jpg", k=5):
            print(f"{hit.score:.3f} {hit.path}")

A query is a picture file's path, its encoded bytes, a decoded numpy uint8 image ((H, W, 3) RGB,
(H, W) gray or (H, W, 4) RGBA), or id= of an indexed image. Faces are opt-in
(alike.Library(path, faces=True)) and searched through lib.faces.

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

alike's image embedders alone, for vectors kept in other stores::

    cnn = alike.Embedder("cnn")            # loads the weights once
    vector = cnn.embed("photo.jpg")        # float32 (cnn.dimension,), unit length
    faces = alike.Embedder("face").embed(pixels)   # Face: vector, box, landmarks, score

search() returns (nq, k) arrays padded with NO_ID and inf where fewer than k records match.
Errors are alike.Error and its subclasses NotFound, AlreadyExists, InvalidArgument (also a
ValueError), Corruption and IOError (also an OSError).
"""

from ._alike import (
    NO_ID,
    AlreadyExists,
    Collection,
    CopyHit,
    Corruption,
    Database,
    DuplicateGroup,
    Embedder,
    Error,
    Face,
    FaceHit,
    Faces,
    Hit,
    ImageHit,
    IndexEvent,
    IndexProgress,
    InvalidArgument,
    IOError,
    Library,
    NotFound,
    Person,
    QueryFace,
    Record,
    __version__,
    embed,
    open,
)

__all__ = [
    "NO_ID",
    "AlreadyExists",
    "Collection",
    "CopyHit",
    "Corruption",
    "Database",
    "DuplicateGroup",
    "Embedder",
    "Error",
    "Face",
    "FaceHit",
    "Faces",
    "Hit",
    "ImageHit",
    "IndexEvent",
    "IndexProgress",
    "InvalidArgument",
    "IOError",
    "Library",
    "NotFound",
    "Person",
    "QueryFace",
    "Record",
    "__version__",
    "embed",
    "open",
]
