"""Type stubs of the alike package (its compiled module alike._alike)."""

import os
from types import TracebackType
from typing import Any, Callable, Mapping, Optional, Sequence, Union, overload

import numpy as np
import numpy.typing as npt

__version__: str
NO_ID: int
"""The id that pads search() results where fewer than k records match (2**64 - 1)."""

Payload = Mapping[str, Any]
Filter = Union[Mapping[str, Any], str, None]
Ids = Union[int, Sequence[int], npt.ArrayLike]

class Error(Exception):
    """Base class of every error alike reports; str(e) is its message."""

class NotFound(Error):
    """No such database, collection or record."""

class AlreadyExists(Error):
    """A collection or snapshot target exists already."""

class InvalidArgument(Error, ValueError):
    """Bad input: a wrong shape, dtype or dimension, NaN, a malformed filter or payload."""

class Corruption(Error):
    """A database file is damaged."""

class IOError(Error, OSError):
    """The file system failed."""

class Hit:
    """One search result of Collection.query()."""

    @property
    def id(self) -> int: ...
    @property
    def distance(self) -> float: ...
    @property
    def payload(self) -> Optional[dict[str, Any]]: ...

class Record:
    """A stored record, as Collection.get() returns it."""

    @property
    def id(self) -> int: ...
    @property
    def vector(self) -> npt.NDArray[Union[np.float32, np.uint8]]: ...
    @property
    def payload(self) -> dict[str, Any]: ...

ImageLike = Union[str, os.PathLike[str], bytes, bytearray, memoryview, npt.NDArray[np.uint8]]
"""A path, a picture file's encoded bytes, or uint8 pixels (H, W), (H, W, 3) RGB, (H, W, 4) RGBA."""

class Face:
    """One face that Embedder('face').embed() found in a picture."""

    @property
    def vector(self) -> npt.NDArray[np.float32]: ...
    @property
    def box(self) -> tuple[int, int, int, int]: ...
    @property
    def landmarks(self) -> npt.NDArray[np.float32]: ...
    @property
    def score(self) -> float: ...

class Embedder:
    """One of alike's image embedders, for vectors kept in another store."""

    def __init__(
        self,
        name: str = "cnn",
        models: Optional[Union[str, os.PathLike[str]]] = None,
        *,
        max_pixels: int = 100_000_000,
    ) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def version_name(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def dimension(self) -> int: ...
    @property
    def metric(self) -> str: ...
    @property
    def faces(self) -> bool: ...
    def embed(
        self, image: ImageLike
    ) -> Union[npt.NDArray[Union[np.float32, np.uint8]], list[Face], None]:
        """A vector (float32, or uint8 packed bits), None, or for 'face' a list of Face."""
    def embed_many(
        self, images: Sequence[ImageLike], *, jobs: int = 0
    ) -> list[Union[npt.NDArray[Union[np.float32, np.uint8]], list[Face], None]]: ...
    @staticmethod
    def names(models: Optional[Union[str, os.PathLike[str]]] = None) -> list[str]: ...

def embed(
    image: ImageLike,
    embedder: Union[str, Embedder] = "cnn",
    *,
    models: Optional[Union[str, os.PathLike[str]]] = None,
) -> Union[npt.NDArray[Union[np.float32, np.uint8]], list[Face], None]:
    """Embedder(embedder, models).embed(image); keep an Embedder for a loop."""

class Collection:
    """A named set of (id, vector, payload) records."""

    @property
    def name(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def metric(self) -> str: ...
    @property
    def index(self) -> str: ...
    def upsert(
        self,
        ids: npt.ArrayLike,
        vectors: npt.ArrayLike,
        payloads: Optional[Sequence[Union[Payload, str, None]]] = None,
    ) -> None:
        """Inserts or replaces records, as one atomic and durable batch."""
    def search(
        self,
        queries: npt.ArrayLike,
        k: int = 10,
        *,
        filter: Filter = None,
        ef: Optional[int] = None,
        exact: bool = False,
        max_distance: Optional[float] = None,
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.float32]]:
        """(ids, distances) of shape (nq, k), padded with NO_ID and inf."""
    def query(
        self,
        vector: npt.ArrayLike,
        k: int = 10,
        *,
        filter: Filter = None,
        with_payload: bool = True,
        ef: Optional[int] = None,
        exact: bool = False,
        max_distance: Optional[float] = None,
    ) -> list[Hit]:
        """The nearest records of one vector, nearest first."""
    @overload
    def get(self, ids: int) -> Optional[Record]: ...
    @overload
    def get(self, ids: Union[Sequence[int], npt.ArrayLike]) -> list[Optional[Record]]: ...
    def delete(self, ids: Optional[Ids] = None, *, filter: Filter = None) -> int:
        """Deletes records by id or by filter; returns how many were deleted."""
    def count(self, filter: Filter = None) -> int: ...
    def __len__(self) -> int: ...
    def __contains__(self, id: object) -> bool: ...
    def compact(self) -> None: ...
    def checkpoint(self) -> None: ...
    def info(self) -> dict[str, Any]: ...

class Database:
    """A database directory of named collections."""

    def __init__(
        self,
        path: Union[str, os.PathLike[str]],
        *,
        create: bool = True,
        sync: bool = True,
        threads: int = 0,
    ) -> None: ...
    @property
    def path(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def create_collection(
        self,
        name: str,
        *,
        dim: int,
        metric: str = "cosine",
        index: str = "hnsw",
        m: int = 16,
        ef_construction: int = 100,
        ef_search: int = 64,
    ) -> Collection: ...
    def collection(self, name: str) -> Collection: ...
    def collections(self) -> list[str]: ...
    def list_collections(self) -> list[str]: ...
    def __contains__(self, name: str) -> bool: ...
    def drop_collection(self, name: str) -> None: ...
    def snapshot(self, dest: Union[str, os.PathLike[str]]) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Database": ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

def open(
    path: Union[str, os.PathLike[str]],
    *,
    create: bool = True,
    sync: bool = True,
    threads: int = 0,
) -> Database:
    """Opens (or creates) a database directory."""

class ImageHit:
    """One result of Library.search()."""

    @property
    def id(self) -> int: ...
    @property
    def score(self) -> float: ...
    @property
    def distance(self) -> float: ...
    @property
    def paths(self) -> list[str]: ...
    @property
    def path(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...

class CopyHit:
    """One result of Library.search_copies()."""

    @property
    def id(self) -> int: ...
    @property
    def confidence(self) -> float: ...
    @property
    def pdq_bits(self) -> Optional[int]: ...
    @property
    def inliers(self) -> int: ...
    @property
    def coverage(self) -> float: ...
    @property
    def mirrored(self) -> bool: ...
    @property
    def corners(self) -> Optional[list[list[float]]]: ...
    @property
    def paths(self) -> list[str]: ...
    @property
    def path(self) -> str: ...

class DuplicateGroup:
    """A group of copies, from Library.duplicates()."""

    @property
    def keeper(self) -> int: ...
    @property
    def images(self) -> list[int]: ...
    @property
    def paths(self) -> list[str]: ...
    @property
    def max_bits(self) -> int: ...

class IndexEvent:
    """One thing that happened to one file in Library.index()."""

    @property
    def kind(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def message(self) -> str: ...

class IndexProgress:
    """Where a Library.index() run stands."""

    @property
    def found(self) -> int: ...
    @property
    def done(self) -> int: ...
    @property
    def unchanged(self) -> int: ...
    @property
    def walk_finished(self) -> bool: ...

Progress = Callable[[Optional[IndexEvent], IndexProgress], object]
# A picture file's path or encoded bytes, or a decoded uint8 image: (H, W, 3) RGB, (H, W) gray or
# (H, W, 4) RGBA.
Picture = Union[str, os.PathLike[str], bytes, bytearray, memoryview, npt.NDArray[np.uint8]]
PersonKey = Union[str, int]

class FaceHit:
    """An image showing a face: from Faces.search(), Faces.person(), Person.representative."""

    @property
    def id(self) -> int: ...
    @property
    def face(self) -> int: ...
    @property
    def distance(self) -> float: ...
    @property
    def paths(self) -> list[str]: ...
    @property
    def path(self) -> str: ...
    @property
    def person(self) -> Optional[int]: ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def box(self) -> tuple[int, int, int, int]: ...
    @property
    def score(self) -> float: ...
    @property
    def landmarks(self) -> list[list[float]]: ...

class QueryFace:
    """A face of the query picture of Faces.search() and the images of the same person."""

    @property
    def hits(self) -> list[FaceHit]: ...
    @property
    def box(self) -> tuple[int, int, int, int]: ...
    @property
    def score(self) -> float: ...
    @property
    def landmarks(self) -> list[list[float]]: ...

class Person:
    """A person: faces grouped as one, from Faces.people()."""

    @property
    def person(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def faces(self) -> int: ...
    @property
    def images(self) -> int: ...
    @property
    def representative(self) -> FaceHit: ...

class Faces:
    """The faces of a library (Library.faces); opt-in: Library(path, faces=True)."""

    def search(
        self,
        query: Optional[Picture] = None,
        *,
        id: Optional[int] = None,
        k: int = 10,
        threshold: float = 0.17,
    ) -> list[QueryFace]: ...
    def people(self) -> list[Person]: ...
    def person(self, person: PersonKey, *, k: int = 0) -> list[FaceHit]: ...
    def name(self, person: int, name: str) -> int: ...
    def forget(self, person: PersonKey) -> dict[str, int]: ...
    def forget_all(self) -> dict[str, int]: ...

class Library:
    """An image library: image files turned into vectors, with a catalog."""

    def __init__(
        self,
        path: Union[str, os.PathLike[str]],
        *,
        create: bool = True,
        embedders: Optional[Sequence[str]] = None,
        faces: bool = False,
        models: Optional[Union[str, os.PathLike[str]]] = None,
    ) -> None: ...
    @property
    def path(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def index(
        self,
        paths: Union[str, os.PathLike[str], Sequence[Union[str, os.PathLike[str]]]],
        *,
        jobs: int = 0,
        prune: bool = False,
        progress: Union[bool, None, Progress] = True,
        embedders: Optional[Sequence[str]] = None,
    ) -> dict[str, Any]:
        """Indexes files and directories; returns the report dict."""
    def search(
        self,
        query: Optional[Picture] = None,
        *,
        id: Optional[int] = None,
        k: int = 10,
        by: str = "cnn",
        filter: Filter = None,
        min_score: Optional[float] = None,
    ) -> list[ImageHit]: ...
    def search_copies(
        self,
        query: Optional[Picture] = None,
        *,
        id: Optional[int] = None,
        k: int = 10,
        min_confidence: float = 0.5,
        candidates: int = 20,
        jobs: int = 0,
    ) -> list[CopyHit]: ...
    @property
    def faces(self) -> Faces: ...
    def duplicates(self, *, max_bits: int = 31) -> list[DuplicateGroup]: ...
    def info(self) -> dict[str, Any]: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Library": ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...
