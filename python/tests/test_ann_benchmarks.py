"""bench/ann-benchmarks/alike/module.py, driven as ann-benchmarks' harness drives an algorithm:
constructor from config.yml's arguments, fit, set_query_arguments, query and batch_query, memory,
done. The harness is not installable here (PyPI), so its package is a stand-in: a BaseANN with
the harness's own defaults, in a package tree of its layout, so the module's relative import is
the one it makes there."""
import importlib
import os
import shutil
import sys
import tempfile
import unittest

import numpy as np

SOURCE = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "ann-benchmarks", "alike")

BASE_MODULE = '''
class BaseANN:
    def done(self):
        pass

    def get_memory_usage(self):
        return None

    def batch_query(self, X, n):
        self.res = [self.query(q, n) for q in X]

    def get_batch_results(self):
        return self.res

    def get_additional(self):
        return {}

    def __str__(self):
        return self.name
'''


class AnnBenchmarksModuleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="alike-annb-")
        algorithms = os.path.join(cls.root, "ann_benchmarks", "algorithms")
        os.makedirs(os.path.join(algorithms, "base"))
        for package in ("ann_benchmarks", "ann_benchmarks/algorithms",
                        "ann_benchmarks/algorithms/base"):
            open(os.path.join(cls.root, package, "__init__.py"), "w").close()
        with open(os.path.join(algorithms, "base", "module.py"), "w") as f:
            f.write(BASE_MODULE)
        shutil.copytree(SOURCE, os.path.join(algorithms, "alike"))
        open(os.path.join(algorithms, "alike", "__init__.py"), "w").close()
        sys.path.insert(0, cls.root)
        cls.module = importlib.import_module("ann_benchmarks.algorithms.alike.module")

    @classmethod
    def tearDownClass(cls):
        sys.path.remove(cls.root)
        shutil.rmtree(cls.root)

    def setUp(self):
        rng = np.random.default_rng(3)
        self.train = rng.standard_normal((2000, 24)).astype(np.float32)
        self.test = rng.standard_normal((50, 24)).astype(np.float32)

    def exact(self, metric, k):
        train, test = self.train, self.test
        if metric == "angular":
            train = train / np.linalg.norm(train, axis=1, keepdims=True)
            test = test / np.linalg.norm(test, axis=1, keepdims=True)
        d = ((test[:, None, :] - train[None, :, :]) ** 2).sum(-1)
        return np.argsort(d, axis=1)[:, :k]

    def run_harness(self, metric, params):
        algo = self.module.Alike(metric, params)
        before = algo.get_memory_usage()
        algo.fit(self.train)
        self.assertGreater(algo.get_memory_usage(), before)
        recalls = []
        for ef in (10, 500):  # 500 of 2,000 points: all but exhaustive
            algo.set_query_arguments(ef)
            self.assertIn(f"[ef={ef}]", str(algo))
            single = np.array([algo.query(q, 10) for q in self.test])
            algo.batch_query(self.test, 10)
            batch = np.array(algo.get_batch_results())
            np.testing.assert_array_equal(single, batch)
            truth = self.exact(metric, 10)
            recalls.append(np.mean([len(set(a) & set(t)) / 10 for a, t in zip(single, truth)]))
        self.assertGreater(algo.get_additional()["alike_memory_bytes"], self.train.nbytes)
        algo.done()
        algo.done()  # the harness may call it again; nothing left to remove
        return recalls

    def test_euclidean_and_angular_reach_full_recall_at_a_large_ef(self):
        for metric in ("euclidean", "angular"):
            recalls = self.run_harness(metric, {"M": 16, "efConstruction": 100})
            self.assertGreaterEqual(recalls[1], 0.98, metric)
            self.assertLessEqual(recalls[0], recalls[1], metric)

    def test_the_sq8_group_and_an_unknown_metric(self):
        recalls = self.run_harness("euclidean", {"M": 16, "efConstruction": 100, "index": "sq8"})
        self.assertGreaterEqual(recalls[1], 0.95)
        with self.assertRaisesRegex(ValueError, "hamming"):
            self.module.Alike("hamming", {"M": 16, "efConstruction": 100})

    def test_every_run_group_of_the_config_builds_and_answers(self):
        import yaml  # Debian's python3-yaml, as the harness reads config.yml
        with open(os.path.join(SOURCE, "config.yml")) as f:
            (definition,) = yaml.safe_load(f)["float"]["any"]
        self.assertEqual(definition["module"], "ann_benchmarks.algorithms.alike")
        constructor = getattr(self.module, definition["constructor"])
        self.assertEqual(definition["base_args"], ["@metric"])
        for name, group in definition["run_groups"].items():
            for params in group["arg_groups"]:
                algo = constructor("euclidean", params)
                algo.fit(self.train[:300])
                for (ef,) in zip(*group["query_args"]):
                    algo.set_query_arguments(ef)
                    self.assertEqual(algo.query(self.train[7], 1)[0], 7, f"{name} ef={ef}")
                algo.done()

if __name__ == "__main__":
    unittest.main()
