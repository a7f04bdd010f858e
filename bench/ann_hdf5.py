#!/usr/bin/python3
"""Recall@10 against queries/s for alike's Python module, python3-hnswlib and python3-faiss, in one
run, on a data set in ann-benchmarks' HDF5 layout (datasets `train`, `test`, `neighbors`,
`distances`; attribute `distance`).

    PYTHONPATH=build/python bench/ann_hdf5.py --write-fashion-mnist fashion-mnist-784-euclidean.hdf5
    PYTHONPATH=build/python bench/ann_hdf5.py fashion-mnist-784-euclidean.hdf5

Every target is queried the way ann-benchmarks queries: one query per call, on one thread, from
Python, so the numbers include each library's own per-call cost. alike is also queried with the
same queries in one call (one thread, one query after the other inside C++), the baseline in
the same run for what the binding adds to each call. All targets are built with
M = 16 and ef_construction = 100 and searched at the same ef values; at each ef the targets take
turns, so that a change in the machine's speed touches all of them alike.
"""
import argparse
import gzip
import os
import sys
import tempfile
import time

import h5py
import numpy as np

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist


def read_idx_images(path):
    """The images of an IDX file (as Debian's dataset-fashion-mnist ships them) as float32 rows."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    count, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    pixels = np.frombuffer(data, dtype=np.uint8, offset=16)
    if pixels.size != count * rows * cols:
        sys.exit(f"{path}: {pixels.size} pixels, the header says {count} x {rows} x {cols}")
    return pixels.reshape(count, rows * cols).astype(np.float32)


def exact_neighbors(train, test, k):
    """Exact k nearest train rows of each test row by squared Euclidean distance, in chunks."""
    train_norms = (train.astype(np.float64) ** 2).sum(axis=1)
    ids = np.empty((len(test), k), dtype=np.int32)
    dists = np.empty((len(test), k), dtype=np.float32)
    for start in range(0, len(test), 500):
        q = test[start:start + 500].astype(np.float64)
        d = train_norms[None, :] - 2.0 * (q @ train.T.astype(np.float64)) + (q ** 2).sum(1)[:, None]
        part = np.argpartition(d, k, axis=1)[:, :k]
        order = np.take_along_axis(d, part, axis=1).argsort(axis=1)
        ids[start:start + len(q)] = np.take_along_axis(part, order, axis=1)
        dists[start:start + len(q)] = np.sqrt(np.maximum(
            np.take_along_axis(d, ids[start:start + len(q)], axis=1), 0))
    return ids, dists


def write_fashion_mnist(out, queries):
    train = read_idx_images(os.path.join(FASHION_MNIST, "train-images-idx3-ubyte.gz"))
    test = read_idx_images(os.path.join(FASHION_MNIST, "t10k-images-idx3-ubyte.gz"))[:queries]
    started = time.perf_counter()
    ids, dists = exact_neighbors(train, test, 100)
    print(f"ground truth for {len(test)} queries in {time.perf_counter() - started:.1f} s")
    with h5py.File(out, "w") as f:
        f.attrs["distance"] = "euclidean"
        f.attrs["type"] = "dense"
        f.create_dataset("train", data=train)
        f.create_dataset("test", data=test)
        f.create_dataset("neighbors", data=ids)
        f.create_dataset("distances", data=dists)
    print(f"wrote {out}: train {train.shape}, test {test.shape}, neighbors {ids.shape}")


class AlikeTarget:
    name = "alike (python)"

    def __init__(self, dim, m, ef_construction):
        import alike
        self.dir = tempfile.TemporaryDirectory(prefix="alike-ann-")
        self.db = alike.open(self.dir.name + "/db", threads=1)
        self.col = self.db.create_collection("ann", dim=dim, metric="l2", m=m,
                                             ef_construction=ef_construction)
        self.ef = 10

    def fit(self, train):
        ids = np.arange(len(train), dtype=np.uint64)
        for start in range(0, len(train), 10_000):
            self.col.upsert(ids[start:start + 10_000], train[start:start + 10_000])

    def set_ef(self, ef):
        self.ef = ef

    def query(self, q, k):
        return self.col.search(q, k, ef=self.ef)[0][0]

    def batch_query(self, queries, k):
        """All queries in one call: the C++ cost of each query without the binding's per-call
        cost (the database has one thread, so the batch runs one query at a time)."""
        return self.col.search(queries, k, ef=self.ef)[0]


class HnswlibTarget:
    name = "hnswlib (python3-hnswlib)"

    def __init__(self, dim, m, ef_construction):
        import hnswlib
        self.index = hnswlib.Index(space="l2", dim=dim)
        self.m, self.ef_construction = m, ef_construction

    def fit(self, train):
        self.index.init_index(max_elements=len(train), M=self.m,
                              ef_construction=self.ef_construction)
        self.index.set_num_threads(1)
        self.index.add_items(train, np.arange(len(train)))

    def set_ef(self, ef):
        self.index.set_ef(ef)

    def query(self, q, k):
        return self.index.knn_query(q, k)[0][0]


class FaissTarget:
    name = "faiss (python3-faiss)"

    def __init__(self, dim, m, ef_construction):
        import faiss
        faiss.omp_set_num_threads(1)
        self.index = faiss.IndexHNSWFlat(dim, m)
        self.index.hnsw.efConstruction = ef_construction

    def fit(self, train):
        self.index.add(train)

    def set_ef(self, ef):
        self.index.hnsw.efSearch = ef

    def query(self, q, k):
        return self.index.search(q[None, :], k)[1][0]


TARGETS = {"alike": AlikeTarget, "hnswlib": HnswlibTarget, "faiss": FaissTarget}


def qps_at_recall(curve, wanted):
    """Queries/s at `wanted` recall, interpolating log(qps) linearly in recall between the two
    measured points around it (None when no point reaches it)."""
    curve = sorted(curve)
    for (r0, q0), (r1, q1) in zip(curve, curve[1:]):
        if r0 <= wanted <= r1 and r1 > r0:
            t = (wanted - r0) / (r1 - r0)
            return float(np.exp(np.log(q0) + t * (np.log(q1) - np.log(q0))))
    return curve[0][1] if curve and curve[0][0] >= wanted else None


def binding_cost(target, queries, answers, k, rounds=3):
    """Prints what one call per query costs over the same queries answered in one call (inside
    C++, one after the other on the database's one thread), in CPU time of this process, which
    other processes on a busy machine disturb less than they disturb the wall clock. Single calls
    and batches alternate; the median of `rounds` pairs is printed."""
    pairs = []
    for _ in range(rounds):
        started = time.process_time()
        for q in queries:
            target.query(q, k)
        single = time.process_time() - started
        started = time.process_time()
        batch = target.batch_query(queries, k)
        pairs.append((single, time.process_time() - started))
        if any(not np.array_equal(a, b) for a, b in zip(answers, batch)):
            sys.exit(f"{target.name}: a batch answered differently from single calls")
    single, batch = sorted(pairs, key=lambda p: p[0] / p[1])[len(pairs) // 2]
    per_query = batch / len(queries) * 1e6
    per_call = (single - batch) / len(queries) * 1e6
    print(f"{'':28s} {'':5s} {'':10s} {'':10s}   CPU per query {per_query:.1f} us in a batch, "
          f"{per_call:+.1f} us per single call ({per_call / per_query:+.1%})")


def run(path, names, efs, k, m, ef_construction, seconds):
    with h5py.File(path, "r") as f:
        if f.attrs.get("distance") not in ("euclidean", b"euclidean"):
            sys.exit(f"{path}: distance {f.attrs.get('distance')!r}; this script runs euclidean sets")
        train = np.ascontiguousarray(f["train"][:], dtype=np.float32)
        test = np.ascontiguousarray(f["test"][:], dtype=np.float32)
        truth = f["neighbors"][:, :k]
    print(f"{path}: train {train.shape}, {len(test)} queries, k={k}, M={m}, "
          f"ef_construction={ef_construction}")
    targets = []
    for name in names:
        target = TARGETS[name](train.shape[1], m, ef_construction)
        started = time.perf_counter()
        target.fit(train)
        print(f"  {target.name}: built in {time.perf_counter() - started:.1f} s")
        targets.append(target)
    curves = {t.name: [] for t in targets}
    print(f"{'target':28s} {'ef':>5s} {'recall@10':>10s} {'queries/s':>10s}")
    for ef in efs:
        for target in targets:
            target.set_ef(ef)
            for q in test[:50]:  # warm caches and code paths
                target.query(q, k)
            answers, started = [], time.perf_counter()
            while len(answers) < len(test) and (
                    len(answers) < 200 or time.perf_counter() - started < seconds):
                answers.append(target.query(test[len(answers)], k))
            qps = len(answers) / (time.perf_counter() - started)
            # Scored after the clock stopped: Python's set arithmetic would cost as much as a query.
            found = sum(len(set(ids.tolist()) & set(truth[i].tolist()))
                        for i, ids in enumerate(answers))
            recall = found / (len(answers) * k)
            curves[target.name].append((recall, qps))
            print(f"{target.name:28s} {ef:5d} {recall:10.4f} {qps:10.0f}")
            if hasattr(target, "batch_query"):
                binding_cost(target, test[:len(answers)], answers, k)
    at = {name: qps_at_recall(curve, 0.95) for name, curve in curves.items()}
    print("queries/s at recall 0.95 (interpolated):")
    base = at.get(HnswlibTarget.name)
    for name, qps in at.items():
        ratio = f"  {qps / base:.2f}x hnswlib" if qps and base else ""
        print(f"  {name:28s} {qps:10.0f}{ratio}" if qps else f"  {name:28s} not reached")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("hdf5", nargs="?", help="data set in ann-benchmarks' HDF5 layout")
    parser.add_argument("--write-fashion-mnist", metavar="OUT",
                        help="write Debian's Fashion-MNIST in that layout (exact ground truth)")
    parser.add_argument("--queries", type=int, default=10_000,
                        help="test images to keep when writing Fashion-MNIST [10000]")
    parser.add_argument("--targets", default="alike,hnswlib,faiss")
    parser.add_argument("--ef", default="10,16,32,64,128,256")
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="time spent per (target, ef), at least 200 queries [2]")
    args = parser.parse_args()
    if args.write_fashion_mnist:
        write_fashion_mnist(args.write_fashion_mnist, args.queries)
    if args.hdf5:
        names = args.targets.split(",")
        unknown = [n for n in names if n not in TARGETS]
        if unknown:
            parser.error(f"unknown target(s) {unknown}; known: {sorted(TARGETS)}")
        run(args.hdf5, names, [int(e) for e in args.ef.split(",")], 10, args.m,
            args.ef_construction, args.seconds)
    elif not args.write_fashion_mnist:
        parser.error("name an HDF5 file, or --write-fashion-mnist OUT")


if __name__ == "__main__":
    main()
