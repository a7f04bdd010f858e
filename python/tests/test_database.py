"""Tests of alike's vector database from Python (the alike package built in build/python).

Run: PYTHONPATH=build/python /usr/bin/python3 -m unittest discover -s python/tests -v
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import tracemalloc
import unittest

import numpy as np

import alike
from gil_check import ticks_during


def random_vectors(n, dim, seed=0):
    return np.random.default_rng(seed).random((n, dim), dtype=np.float32)


class DatabaseTestCase(unittest.TestCase):
    """A fresh database directory per test, closed at the end."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="alike-py-")
        self.path = os.path.join(self.tmp.name, "db")
        self.db = alike.open(self.path)

    def tearDown(self):
        self.db.close()
        self.tmp.cleanup()

    def reopen(self):
        self.db.close()
        self.db = alike.open(self.path, create=False)
        return self.db


class RoundTripTest(DatabaseTestCase):
    def test_upsert_get_and_reopen_give_back_vectors_and_payloads(self):
        col = self.db.create_collection("c", dim=16, metric="l2", index="flat")
        vectors = random_vectors(100, 16)
        ids = np.arange(1000, 1100, dtype=np.uint64)
        payloads = [{"n": i, "tag": "even" if i % 2 == 0 else "odd"} for i in range(100)]
        col.upsert(ids, vectors, payloads)
        for reopen in (False, True):
            if reopen:
                col = self.reopen().collection("c")
            self.assertEqual(len(col), 100)
            record = col.get(1042)
            self.assertEqual(record.id, 1042)
            np.testing.assert_array_equal(record.vector, vectors[42])
            self.assertEqual(record.vector.dtype, np.float32)
            self.assertEqual(record.payload, {"n": 42, "tag": "even"})
            self.assertIn(1099, col)
            self.assertNotIn(1100, col)
            self.assertNotIn(-1, col)
            self.assertNotIn("1042", col)

    def test_get_many_keeps_order_and_gives_none_for_absent_ids(self):
        col = self.db.create_collection("c", dim=4, metric="l2")
        col.upsert([5, 6], random_vectors(2, 4))
        records = col.get([6, 99, 5])
        self.assertEqual([r.id if r else None for r in records], [6, None, 5])
        self.assertIsNone(col.get(99))
        self.assertEqual(col.get(np.uint64(5)).id, 5)

    def test_search_finds_each_vector_itself_first(self):
        col = self.db.create_collection("c", dim=32, metric="cosine")
        vectors = random_vectors(500, 32)
        col.upsert(np.arange(500, dtype=np.uint64), vectors)
        ids, distances = col.search(vectors[:20], k=5)
        self.assertEqual(ids.shape, (20, 5))
        self.assertEqual(ids.dtype, np.uint64)
        self.assertEqual(distances.dtype, np.float32)
        np.testing.assert_array_equal(ids[:, 0], np.arange(20))
        np.testing.assert_allclose(distances[:, 0], 0, atol=1e-5)
        self.assertTrue(np.all(np.diff(distances, axis=1) >= 0))
        exact_ids, exact_distances = col.search(vectors[:20], k=5, exact=True)
        np.testing.assert_array_equal(exact_ids[:, 0], np.arange(20))
        # The exact scan computes the same cosine distances the brute force does.
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        brute = 1 - unit[:20] @ unit.T
        np.testing.assert_allclose(exact_distances, np.sort(brute, axis=1)[:, :5], atol=1e-5)

    def test_upsert_replaces_and_other_dtypes_are_converted(self):
        col = self.db.create_collection("c", dim=3, metric="l2", index="flat")
        col.upsert([1], np.array([[1, 2, 3]], dtype=np.int32), [{"v": 1}])
        col.upsert(np.array([1], dtype=np.int64), np.array([[4.0, 5.0, 6.0]]), ['{"v": 2}'])
        self.assertEqual(len(col), 1)
        np.testing.assert_array_equal(col.get(1).vector, [4, 5, 6])
        self.assertEqual(col.get(1).payload, {"v": 2})
        # A Fortran-ordered (non C-contiguous) array is converted, rows intact.
        col.upsert([2, 3], np.asfortranarray([[1.0, 2.0, 3.0], [7.0, 8.0, 9.0]]))
        np.testing.assert_array_equal(col.get(3).vector, [7, 8, 9])

    def test_empty_batches_do_nothing(self):
        col = self.db.create_collection("c", dim=4)
        col.upsert([], [])
        col.upsert(np.zeros(0, dtype=np.uint64), np.zeros((0, 4), dtype=np.float32))
        self.assertEqual(len(col), 0)
        self.assertEqual(col.get([]), [])
        self.assertEqual(col.delete([]), 0)
        ids, distances = col.search(np.zeros((0, 4), dtype=np.float32), k=3)
        self.assertEqual((ids.shape, distances.shape), ((0, 3), (0, 3)))
        hamming = self.db.create_collection("h", dim=16, metric="hamming")
        hamming.upsert([], [])
        self.assertEqual(len(hamming), 0)

    def test_query_returns_hits_with_payloads(self):
        col = self.db.create_collection("c", dim=2, metric="l2", index="flat")
        col.upsert([1, 2, 3], [[0, 0], [1, 0], [5, 5]], [{"name": "a"}, {"name": "b"}, None])
        hits = col.query([0.1, 0], k=2)
        self.assertEqual([h.id for h in hits], [1, 2])
        self.assertAlmostEqual(hits[0].distance, 0.01, places=5)
        self.assertEqual(hits[1].payload, {"name": "b"})
        self.assertIsNone(col.query([0, 0], k=1, with_payload=False)[0].payload)
        self.assertEqual(col.get(3).payload, {})
        self.assertEqual([h.id for h in col.query([0, 0], k=10, max_distance=2)], [1, 2])

    def test_delete_by_ids_and_compact(self):
        col = self.db.create_collection("c", dim=4)
        # 50 records: 4 deleted stay under the store's automatic compaction threshold (20%).
        col.upsert(np.arange(50, dtype=np.uint64), random_vectors(50, 4))
        self.assertEqual(col.delete([1, 2, 99]), 2)
        self.assertEqual(col.delete(3), 1)
        self.assertEqual(col.delete(np.array([3, 4], dtype=np.uint64)), 1)
        self.assertEqual(len(col), 46)
        self.assertEqual(col.info()["deleted"], 4)
        col.compact()
        self.assertEqual(col.info()["deleted"], 0)
        self.assertNotIn(1, col)
        ids, _ = col.search(random_vectors(1, 4, seed=3), k=50)
        self.assertEqual(sorted(ids[0][ids[0] != alike.NO_ID]), [0] + list(range(5, 50)))

    def test_collections_are_listed_dropped_and_snapshotted(self):
        self.db.create_collection("a", dim=2, metric="l2").upsert([1], [[1, 2]])
        b = self.db.create_collection("b", dim=2, metric="l2")
        self.assertEqual(self.db.collections(), ["a", "b"])
        self.assertEqual(self.db.list_collections(), ["a", "b"])
        self.assertIn("a", self.db)
        snapshot = os.path.join(self.tmp.name, "snap")
        self.db.snapshot(snapshot)
        self.db.drop_collection("b")
        self.assertEqual(self.db.collections(), ["a"])
        with self.assertRaises(alike.NotFound):
            len(b)
        with alike.open(snapshot, create=False) as copy:
            self.assertEqual(copy.collections(), ["a", "b"])
            np.testing.assert_array_equal(copy.collection("a").get(1).vector, [1, 2])
        with self.assertRaises(alike.AlreadyExists):
            self.db.snapshot(snapshot)

    def test_checkpoint_truncates_the_log_and_info_describes_the_collection(self):
        col = self.db.create_collection("c", dim=8, metric="ip", index="sq8")
        col.upsert(np.arange(50, dtype=np.uint64), random_vectors(50, 8))
        before = col.info()["log_bytes"]
        col.checkpoint()
        info = col.info()
        self.assertLess(info["log_bytes"], before)
        self.assertEqual((info["name"], info["dim"], info["metric"], info["index"], info["count"]),
                         ("c", 8, "ip", "sq8", 50))
        self.assertEqual((col.name, col.dim, col.metric, col.index), ("c", 8, "ip", "sq8"))

    def test_context_manager_closes_and_releases_the_directory(self):
        with alike.open(os.path.join(self.tmp.name, "other")) as db:
            col = db.create_collection("c", dim=2)
            self.assertFalse(db.closed)
        self.assertTrue(db.closed)
        with self.assertRaisesRegex(alike.Error, "closed"):
            col.upsert([1], [[1, 2]])
        with self.assertRaisesRegex(alike.Error, "closed"):
            db.collections()
        db.close()  # a second close does nothing
        # The directory's lock went with the close: it opens again.
        alike.open(os.path.join(self.tmp.name, "other"), create=False).close()

    def test_a_second_open_of_an_open_database_is_refused(self):
        with self.assertRaises(alike.Error):
            alike.open(self.path)


class FilterTest(DatabaseTestCase):
    def setUp(self):
        super().setUp()
        self.col = self.db.create_collection("c", dim=4, metric="l2", index="flat")
        self.vectors = random_vectors(60, 4)
        self.col.upsert(np.arange(60, dtype=np.uint64), self.vectors,
                        [{"color": ["red", "green", "blue"][i % 3], "price": i} for i in range(60)])

    def test_search_filters_by_dict_and_by_json_text(self):
        for flt in ({"color": "red", "price": {"$lt": 30}},
                    json.dumps({"color": "red", "price": {"$lt": 30}})):
            ids, distances = self.col.search(self.vectors[0], k=20, filter=flt)
            found = ids[0][ids[0] != alike.NO_ID]
            self.assertEqual(sorted(found), list(range(0, 30, 3)))
            self.assertTrue(np.all(np.isinf(distances[0][len(found):])))

    def test_count_and_delete_by_filter(self):
        self.assertEqual(self.col.count({"color": "blue"}), 20)
        self.assertEqual(self.col.delete(filter={"color": "blue"}), 20)
        self.assertEqual(len(self.col), 40)
        self.assertEqual(self.col.count('{"color": "blue"}'), 0)
        hits = self.col.query(self.vectors[2], k=60)
        self.assertTrue(all(h.payload["color"] != "blue" for h in hits))


class PaddingTest(DatabaseTestCase):
    def test_fewer_matches_than_k_are_padded_with_no_id_and_inf(self):
        col = self.db.create_collection("c", dim=4)
        col.upsert([7, 8, 9], random_vectors(3, 4))
        ids, distances = col.search(random_vectors(2, 4, seed=1), k=5)
        self.assertEqual(ids.shape, (2, 5))
        self.assertEqual(alike.NO_ID, 2**64 - 1)
        for row_ids, row_distances in zip(ids, distances):
            self.assertEqual(sorted(row_ids[:3]), [7, 8, 9])
            self.assertTrue(np.all(row_ids[3:] == alike.NO_ID))
            self.assertTrue(np.all(np.isfinite(row_distances[:3])))
            self.assertTrue(np.all(np.isinf(row_distances[3:])))

    def test_an_empty_collection_and_a_filter_matching_nothing_give_only_padding(self):
        col = self.db.create_collection("c", dim=4)
        ids, distances = col.search(np.ones(4, dtype=np.float32), k=3)
        self.assertEqual(ids.shape, (1, 3))
        self.assertTrue(np.all(ids == alike.NO_ID) and np.all(np.isinf(distances)))
        col.upsert([1], [[1, 2, 3, 4]], [{"a": 1}])
        ids, _ = col.search([1, 2, 3, 4], k=3, filter={"a": 2})
        self.assertTrue(np.all(ids == alike.NO_ID))
        self.assertEqual(col.query([1, 2, 3, 4], filter={"a": 2}), [])

    def test_a_huge_k_is_padding_not_a_huge_index_buffer(self):
        col = self.db.create_collection("c", dim=4)
        col.upsert([1, 2], random_vectors(2, 4))
        ids, _ = col.search(np.ones(4, dtype=np.float32), k=1_000_000)
        self.assertEqual(ids.shape, (1, 1_000_000))
        self.assertEqual(int(np.sum(ids != alike.NO_ID)), 2)


class BadInputTest(DatabaseTestCase):
    def setUp(self):
        super().setUp()
        self.col = self.db.create_collection("c", dim=4)
        self.col.upsert([1], [[1, 2, 3, 4]])

    def assertInvalid(self, fn, *args, regex=None, **kwargs):
        with self.assertRaisesRegex(alike.InvalidArgument, regex or "") as caught:
            fn(*args, **kwargs)
        self.assertIsInstance(caught.exception, ValueError)
        self.assertIsInstance(caught.exception, alike.Error)

    def test_wrong_dimension(self):
        self.assertInvalid(self.col.upsert, [2], [[1, 2, 3]], regex="dimension 3")
        self.assertInvalid(self.col.search, [1, 2, 3], regex="dimension 3")
        self.assertInvalid(self.col.query, np.ones(5), regex="dimension 5")

    def test_nan_infinity_and_zero_vectors(self):
        self.assertInvalid(self.col.upsert, [2], [[1, np.nan, 3, 4]], regex="NaN")
        self.assertInvalid(self.col.upsert, [2], [[1, np.inf, 3, 4]], regex="infinite")
        self.assertInvalid(self.col.upsert, [2], [[0, 0, 0, 0]], regex="zero vector")
        self.assertInvalid(self.col.search, [np.nan, 1, 1, 1], regex="NaN")
        self.assertEqual(len(self.col), 1)  # nothing of a refused batch was written

    def test_wrong_dtype(self):
        self.assertInvalid(self.col.upsert, [2], np.ones((1, 4), dtype=np.complex64),
                           regex="complex")
        self.assertInvalid(self.col.upsert, [2], np.array([["a", "b", "c", "d"]]), regex="dtype")
        self.assertInvalid(self.col.upsert, [2], [[1, 2], [3]], regex="array")
        self.assertInvalid(self.col.search, "abcd", regex="dtype")
        self.assertInvalid(self.col.upsert, [2.5], [[1, 2, 3, 4]], regex="ids must be integers")
        self.assertInvalid(self.col.upsert, [-2], [[1, 2, 3, 4]], regex="negative")
        self.assertInvalid(self.col.upsert, [alike.NO_ID], [[1, 2, 3, 4]], regex="reserved")
        self.assertInvalid(self.col.get, "x", regex="ids")

    def test_wrong_ndim_and_counts(self):
        self.assertInvalid(self.col.upsert, [2], [1, 2, 3, 4], regex="2-D")
        self.assertInvalid(self.col.upsert, [2], np.ones((1, 1, 4)), regex="2-D")
        self.assertInvalid(self.col.upsert, [[2]], np.ones((1, 4)), regex="1-D")
        self.assertInvalid(self.col.upsert, [2, 3], np.ones((1, 4)), regex="2 items for 1")
        self.assertInvalid(self.col.search, np.ones((1, 1, 4)), regex="2-D")
        self.assertInvalid(self.col.query, np.ones((2, 4)), regex="one vector")
        self.assertInvalid(self.col.search, np.ones(4), k=0, regex="k must")

    def test_malformed_payloads_and_filters(self):
        self.assertInvalid(self.col.upsert, [2], np.ones((1, 4)), ["{not json"], regex="JSON")
        self.assertInvalid(self.col.upsert, [2], np.ones((1, 4)), ["[1, 2]"], regex="object")
        self.assertInvalid(self.col.upsert, [2], np.ones((1, 4)), [{"s": {1, 2}}],
                           regex=r"payloads\[0\]")
        self.assertInvalid(self.col.upsert, [2], np.ones((1, 4)), [{"x": float("nan")}])
        self.assertInvalid(self.col.upsert, [2], np.ones((1, 4)), [{}, {}], regex="2 items")
        self.assertInvalid(self.col.upsert, [2], np.ones((1, 4)), [7], regex="dict")
        self.assertInvalid(self.col.search, np.ones(4), filter="{not json")
        self.assertInvalid(self.col.search, np.ones(4), filter={"price": {"$nosuch": 1}})
        self.assertInvalid(self.col.search, np.ones(4), filter=42, regex="filter")
        self.assertInvalid(self.col.delete, filter="[")
        self.assertInvalid(self.col.delete, regex="either")
        self.assertInvalid(self.col.delete, [1], filter={"a": 1}, regex="either")

    def test_bad_collection_options_and_names(self):
        self.assertInvalid(self.db.create_collection, "x", dim=0)
        self.assertInvalid(self.db.create_collection, "x", dim=4, metric="manhattan")
        self.assertInvalid(self.db.create_collection, "x", dim=4, index="lsh")
        self.assertInvalid(self.db.create_collection, "../x", dim=4)
        self.assertInvalid(self.db.create_collection, "h", dim=12, metric="hamming")
        with self.assertRaises(alike.AlreadyExists):
            self.db.create_collection("c", dim=4)

    def test_unknown_collection_and_missing_database(self):
        with self.assertRaisesRegex(alike.NotFound, "nosuch"):
            self.db.collection("nosuch")
        with self.assertRaises(alike.NotFound):
            self.db.drop_collection("nosuch")
        with self.assertRaises(alike.NotFound):
            alike.open(os.path.join(self.tmp.name, "absent"), create=False)
        self.assertNotIn("nosuch", self.db)

    def test_not_a_database_directory(self):
        other = os.path.join(self.tmp.name, "not-a-db")
        os.makedirs(other)
        open(os.path.join(other, "file.txt"), "w").close()
        with self.assertRaises(alike.InvalidArgument):
            alike.open(other)

    def test_everything_raises_after_close(self):
        self.db.close()
        calls = [
            lambda: self.col.upsert([2], np.ones((1, 4))),
            lambda: self.col.search(np.ones(4)),
            lambda: self.col.query(np.ones(4)),
            lambda: self.col.get(1),
            lambda: self.col.delete(1),
            lambda: len(self.col),
            lambda: 1 in self.col,
            lambda: self.col.compact(),
            lambda: self.col.checkpoint(),
            lambda: self.col.info(),
            lambda: self.db.collection("c"),
            lambda: self.db.create_collection("d", dim=2),
            lambda: self.db.drop_collection("c"),
            lambda: self.db.snapshot(os.path.join(self.tmp.name, "s")),
        ]
        for call in calls:
            with self.assertRaisesRegex(alike.Error, "is closed"):
                call()


class HammingTest(DatabaseTestCase):
    def test_packed_bits_round_trip_and_distances_count_differing_bits(self):
        col = self.db.create_collection("h", dim=64, metric="hamming", index="flat")
        bits = np.random.default_rng(5).integers(0, 2, size=(200, 64), dtype=np.uint8)
        codes = np.packbits(bits, axis=1)
        self.assertEqual(codes.shape, (200, 8))
        col.upsert(np.arange(200, dtype=np.uint64), codes)
        np.testing.assert_array_equal(col.get(17).vector, codes[17])
        self.assertEqual(col.get(17).vector.dtype, np.uint8)
        ids, distances = col.search(codes[:10], k=3)
        np.testing.assert_array_equal(ids[:, 0], np.arange(10))
        expected = np.sum(bits[:10, None, :] != bits[None, :, :], axis=2)  # (10, 200)
        np.testing.assert_array_equal(distances, np.sort(expected, axis=1)[:, :3])
        # Integer lists in 0..255 are taken as bytes.
        col.upsert([500], [list(codes[3])])
        self.assertEqual(col.query(codes[3], k=2)[1].distance, 0)

    def test_floats_bools_and_out_of_range_values_are_refused(self):
        col = self.db.create_collection("h", dim=16, metric="hamming")
        for vectors, regex in ((np.ones((1, 2), dtype=np.float32), "uint8"),
                               (np.ones((1, 2), dtype=bool), "packbits"),
                               ([[1, 256]], "0..255"),
                               ([[-1, 1]], "0..255"),
                               (np.ones((1, 3), dtype=np.uint8), "bytes")):
            with self.assertRaisesRegex(alike.InvalidArgument, regex):
                col.upsert([1], vectors)
        with self.assertRaises(alike.InvalidArgument):
            col.search(np.ones(2, dtype=np.float32))


class ZeroCopyTest(DatabaseTestCase):
    """The binding reads a float32 C-contiguous array in place.

    numpy reports its buffers to tracemalloc, so a copy of the input made on its way into the
    store (a conversion, np.ascontiguousarray, an array_t with forcecast) shows in the traced
    peak; the store's own memory is C++'s and is not traced.
    """

    ROWS, DIM = 20_000, 64  # 5 MiB of float32

    def traced_peak_of_upsert(self, col, ids, vectors):
        tracemalloc.start()
        try:
            col.upsert(ids, vectors)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def test_a_float32_c_contiguous_array_is_not_copied(self):
        col = self.db.create_collection("c", dim=self.DIM, metric="l2", index="flat")
        vectors = random_vectors(self.ROWS, self.DIM)
        ids = np.arange(self.ROWS, dtype=np.uint64)
        peak = self.traced_peak_of_upsert(col, ids, vectors)
        self.assertLess(peak, vectors.nbytes // 20)
        self.assertEqual(len(col), self.ROWS)

    def test_the_measure_sees_the_one_conversion_of_other_dtypes(self):
        col = self.db.create_collection("c", dim=self.DIM, metric="l2", index="flat")
        as_float32_bytes = self.ROWS * self.DIM * 4
        float64 = random_vectors(self.ROWS, self.DIM).astype(np.float64)
        peak = self.traced_peak_of_upsert(col, np.arange(self.ROWS, dtype=np.uint64), float64)
        self.assertGreaterEqual(peak, as_float32_bytes)
        self.assertLess(peak, 2 * as_float32_bytes)  # converted once, not twice
        fortran = np.asfortranarray(random_vectors(self.ROWS, self.DIM))
        peak = self.traced_peak_of_upsert(col, np.arange(self.ROWS, dtype=np.uint64), fortran)
        self.assertGreaterEqual(peak, as_float32_bytes)


class ThreadTest(DatabaseTestCase):
    def test_search_releases_the_gil(self):
        # One worker thread in the database, so that the search leaves the other core to Python.
        self.db.close()
        self.db = alike.open(self.path, threads=1)
        col = self.db.create_collection("c", dim=64, metric="l2", index="flat")
        col.upsert(np.arange(20_000, dtype=np.uint64), random_vectors(20_000, 64))
        queries = random_vectors(300, 64, seed=1)
        inside, seconds = ticks_during(lambda: col.search(queries, k=10, exact=True), 3)
        self.assertGreater(sum(inside), 100,
                           f"main-thread ticks in the middle of each search: {inside}, "
                           f"search seconds: {seconds}")

    def test_concurrent_searches_with_one_writer(self):
        col = self.db.create_collection("c", dim=16)
        col.upsert(np.arange(1000, dtype=np.uint64), random_vectors(1000, 16))
        errors = []
        stop = threading.Event()

        def searcher(seed):
            queries = random_vectors(20, 16, seed=seed)
            try:
                while not stop.is_set():
                    ids, distances = col.search(queries, k=10)
                    # Every row is whole: 10 real ids (there are >= 1000 records), sorted.
                    assert np.all(ids < 5000) and np.all(np.diff(distances, axis=1) >= 0)
            except Exception as e:  # noqa: BLE001 - reported by the main thread
                errors.append(e)

        threads = [threading.Thread(target=searcher, args=(s,)) for s in range(4)]
        for t in threads:
            t.start()
        for batch in range(20):
            ids = np.arange(1000 + batch * 200, 1200 + batch * 200, dtype=np.uint64)
            col.upsert(ids, random_vectors(200, 16, seed=100 + batch))
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(col), 5000)

    def test_close_waits_for_a_search_in_flight(self):
        col = self.db.create_collection("c", dim=64, metric="l2", index="flat")
        col.upsert(np.arange(20_000, dtype=np.uint64), random_vectors(20_000, 64))
        results = []
        started = threading.Event()

        def search():
            started.set()
            try:
                results.append(col.search(random_vectors(200, 64), k=5, exact=True)[0].shape)
            except alike.Error as e:
                results.append(e)

        worker = threading.Thread(target=search)
        worker.start()
        started.wait()
        self.db.close()
        worker.join()
        # Either the search finished first, or it started after the close and was refused.
        self.assertEqual(len(results), 1)
        self.assertTrue(results[0] == (200, 5) or "closed" in str(results[0]), results)


CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    import alike

    db = alike.open(sys.argv[1])
    col = db.create_collection("c", dim=8, metric="l2", index="hnsw")
    for batch in range(1_000_000):
        ids = np.arange(batch * 100, batch * 100 + 100, dtype=np.uint64)
        vectors = (ids[:, None] + np.arange(8)).astype(np.float32)
        col.upsert(ids, vectors, [{"batch": batch}] * 100)
        print(batch, flush=True)
""")


class CrashTest(unittest.TestCase):
    def test_every_acknowledged_batch_survives_sigkill(self):
        with tempfile.TemporaryDirectory(prefix="alike-py-crash-") as tmp:
            path = os.path.join(tmp, "db")
            child = subprocess.Popen([sys.executable, "-c", CHILD, path],
                                     stdout=subprocess.PIPE, text=True, env=os.environ.copy())
            acknowledged = -1
            try:
                for line in child.stdout:
                    acknowledged = int(line)
                    if acknowledged >= 30:
                        break
            finally:
                child.send_signal(signal.SIGKILL)
                child.wait()
            # Lines printed after the one read were acknowledged too.
            acknowledged = max([acknowledged] + [int(line) for line in child.stdout.read().split()])
            child.stdout.close()
            self.assertGreaterEqual(acknowledged, 30, "the child stopped early")
            self.assertEqual(child.returncode, -signal.SIGKILL)

            with alike.open(path, create=False) as db:
                col = db.collection("c")
                count = len(col)
                # Every acknowledged batch, and at most the one batch in flight, whole.
                self.assertIn(count, ((acknowledged + 1) * 100, (acknowledged + 2) * 100))
                for batch in range(acknowledged + 1):
                    self.assertEqual(col.count({"batch": batch}), 100, f"batch {batch}")
                ids = np.arange((acknowledged + 1) * 100, dtype=np.uint64)
                records = col.get(ids)
                self.assertTrue(all(r is not None for r in records))
                np.testing.assert_array_equal(np.stack([r.vector for r in records]),
                                              (ids[:, None] + np.arange(8)).astype(np.float32))


if __name__ == "__main__":
    unittest.main()
