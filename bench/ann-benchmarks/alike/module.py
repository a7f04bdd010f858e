"""alike's vector database as an ann-benchmarks algorithm.

Copy this folder to ann_benchmarks/algorithms/alike/ in an ann-benchmarks checkout, install
alike's Python module into the interpreter that runs the harness (see README.md beside this
folder), and run for example

    python3 run.py --local --algorithm alike --dataset fashion-mnist-784-euclidean

Queries are one call each (`query`) or one call for the whole test set (`batch_query`, which
alike spreads over its worker threads), as the harness asks.
"""
import os
import shutil
import tempfile

import numpy as np

import alike

from ..base.module import BaseANN

# ann-benchmarks' metric names -> alike's.
METRICS = {"euclidean": "l2", "angular": "cosine"}


class Alike(BaseANN):
    """An HNSW collection (`index="sq8"` in the arguments: 8-bit codes re-ranked exactly) in a
    database under a temporary directory, removed by done()."""

    def __init__(self, metric, method_param):
        if metric not in METRICS:
            raise ValueError(f"alike: metric {metric!r} is not supported; it runs "
                             f"{', '.join(sorted(METRICS))}")
        self.metric = METRICS[metric]
        self.m = int(method_param["M"])
        self.ef_construction = int(method_param["efConstruction"])
        self.index = method_param.get("index", "hnsw")
        self.ef = 10
        self.name = f"alike(index={self.index},M={self.m},efC={self.ef_construction})"
        self._dir = None
        self._db = None
        self._collection = None
        self._batch_results = None

    def fit(self, X):
        self.done()
        self._dir = tempfile.mkdtemp(prefix="alike-ann-")
        # Benchmark data needs no fsync per batch; the harness throws the index away anyway.
        self._db = alike.open(os.path.join(self._dir, "db"), sync=False)
        self._collection = self._db.create_collection(
            "ann", dim=X.shape[1], metric=self.metric, index=self.index, m=self.m,
            ef_construction=self.ef_construction)
        ids = np.arange(len(X), dtype=np.uint64)
        for start in range(0, len(X), 10_000):  # bounded memory for the encoded batch
            self._collection.upsert(ids[start:start + 10_000], X[start:start + 10_000])

    def set_query_arguments(self, ef):
        self.ef = int(ef)

    def query(self, v, n):
        return self._collection.search(v, n, ef=self.ef)[0][0]

    def batch_query(self, X, n):
        self._batch_results = self._collection.search(X, n, ef=self.ef)[0]

    def get_batch_results(self):
        return self._batch_results

    def get_memory_usage(self):
        """Resident memory of the process in kB, as the harness's default measures it (without
        its psutil dependency)."""
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return float(line.split()[1])
        return None

    def get_additional(self):
        info = self._collection.info() if self._collection is not None else {}
        return {"alike_memory_bytes": info.get("memory_bytes")}

    def done(self):
        if self._db is not None:
            self._db.close()
            self._db = self._collection = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __str__(self):
        return f"{self.name}[ef={self.ef}]"
