"""Type stubs of the alike package (its compiled module alike._alike)."""

import os
from types import TracebackType
from typing import Any, Mapping, Optional, Sequence, Union, overload

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
