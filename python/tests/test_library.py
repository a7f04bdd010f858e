"""alike.Library from Python, end to end on the shared photos (<repo>/../shared, or
$ALIKE_SHARED_DIR): flowers and imagededup's near-copies. The weight-free spaces ("color", "pdq")
run everywhere; the cnn test needs the model weights scripts/setup.sh installs ($ALIKE_MODELS or
<repo>/models) and skips without them.
"""

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest
from pathlib import Path
from unittest import mock

import numpy as np

import alike
from gil_check import ticks_during

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("ALIKE_SHARED_DIR", REPO.parent / "shared"))
FLOWERS = SHARED / "data/categories/flowers/flowers"
MIXED = SHARED / "data/copies/imagededup/tests/data/mixed_images"
FORMATS = SHARED / "data/copies/imagededup/tests/data/formats_images"
MODELS = Path(os.environ.get("ALIKE_MODELS", REPO / "models"))
CNN_WEIGHTS = "tf2_mobilenet_v2_1.0_224_ptq.tflite"


def copy_photos(dest):
    """Three flowers of three kinds, a byte-identical copy of one, and imagededup's mixed set (a
    picture, its resized and mirrored copies, another picture and a corrupt file)."""
    flowers = []
    for kind in ("daisy", "rose", "tulip"):
        for source in sorted((FLOWERS / kind).glob("*.jpg"))[:3]:
            target = dest / "flowers" / kind / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            flowers.append(target)
    shutil.copyfile(flowers[0], dest / "flowers" / "same-bytes.jpg")
    shutil.copytree(MIXED, dest / "mixed")
    return flowers


@unittest.skipUnless(FLOWERS.is_dir() and MIXED.is_dir(), f"shared photos absent under {SHARED}")
class LibraryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="alike-py-lib-")
        root = Path(cls.tmp.name)
        cls.photos = root / "photos"
        cls.flowers = copy_photos(cls.photos)
        cls.lib = alike.Library(root / "lib", embedders=["color", "pdq"])
        cls.events, cls.progress, cls.threads = [], [], set()

        def progress(event, state):
            cls.threads.add(threading.get_ident())
            if event is not None:
                cls.events.append((event.kind, event.path, event.message))
            cls.progress.append((state.found, state.done, state.walk_finished))

        cls.report = cls.lib.index(cls.photos, jobs=2, progress=progress)

    @classmethod
    def tearDownClass(cls):
        cls.lib.close()
        cls.tmp.cleanup()

    def paths_of(self, kind):
        return {Path(path).name for k, path, _ in self.events if k == kind}

    def test_index_reports_every_file_through_progress(self):
        report = self.report
        # 9 flowers and 5 mixed pictures indexed; the byte-identical copy is a duplicate; the
        # corrupt file fails.
        self.assertEqual((report["indexed"], report["duplicates"], report["failed"]), (14, 1, 1),
                         report)
        self.assertEqual(len(self.paths_of("indexed")), 14)
        self.assertIn("ukbench09268_corrupt.jpg", self.paths_of("failed"))
        self.assertEqual(len(self.paths_of("duplicate")), 1)
        found, done, walk_finished = self.progress[-1]
        self.assertTrue(walk_finished)
        self.assertEqual((found, done), (16, 16))
        # The callback also ran on the library's worker threads, which index() would have left
        # waiting for the GIL forever had it not released it.
        self.assertTrue(self.threads - {threading.main_thread().ident}, self.threads)
        info = self.lib.info()
        self.assertEqual(info["images"], 14)
        self.assertEqual(sorted(s["embedder"] for s in info["spaces"]), ["color", "pdq"])
        for space in info["spaces"]:
            # The same fields as the HTTP API's GET /v1/library, from one definition.
            self.assertEqual(set(space), {"embedder", "model", "fingerprint", "version",
                                          "installed_version", "current", "dimension", "vectors",
                                          "disk_bytes"})
            self.assertTrue(space["model"])
            self.assertRegex(space["fingerprint"], "^[0-9a-f]{8}$")
            self.assertTrue(space["current"])
        self.assertEqual(info["path"], str(Path(self.tmp.name) / "lib"))

    def test_search_copies_releases_the_gil(self):
        # It decodes the query and checks candidates with local features: long enough (tens of
        # ms) to see whether Python runs meanwhile. (A color search of these small photos takes
        # a millisecond, too short for the main thread to be woken within it; every search goes
        # through the same release, python/src/image_query.h's SearchWith.)
        query = str(self.flowers[4])
        inside, seconds = ticks_during(lambda: self.lib.search_copies(query), 6)
        self.assertGreater(sum(inside), 100,
                           f"main-thread ticks in the middle of each call: {inside}, "
                           f"seconds: {seconds}")

    def test_a_second_index_run_skips_unchanged_files(self):
        again = self.lib.index(str(self.photos), progress=False)
        self.assertEqual((again["indexed"], again["unchanged"], again["failed"]), (0, 15, 1), again)

    def test_search_by_file_bytes_and_id(self):
        query = self.flowers[4]
        by_file = self.lib.search(query, by="color", k=5)
        self.assertEqual(len(by_file), 5)
        self.assertEqual(Path(by_file[0].path), query)
        self.assertAlmostEqual(by_file[0].score, 1.0, places=4)
        self.assertEqual([h.score for h in by_file], sorted((h.score for h in by_file),
                                                            reverse=True))
        self.assertEqual(by_file[0].payload["format"], "jpeg")
        by_bytes = self.lib.search(query.read_bytes(), by="color", k=5)
        self.assertEqual([h.id for h in by_bytes], [h.id for h in by_file])
        by_memoryview = self.lib.search(memoryview(query.read_bytes()), by="color", k=5)
        self.assertEqual([h.id for h in by_memoryview], [h.id for h in by_file])
        by_id = self.lib.search(id=by_file[0].id, by="color", k=5)
        self.assertNotIn(by_file[0].id, [h.id for h in by_id])
        self.assertEqual([h.id for h in by_id][:4], [h.id for h in by_file][1:5])

    def test_search_filters_on_the_image_payload(self):
        query = self.flowers[0]
        width = self.lib.search(query, by="color", k=1)[0].payload["width"]
        hits = self.lib.search(query, by="color", k=20, filter={"width": {"$gt": width}})
        self.assertTrue(hits)
        self.assertTrue(all(h.payload["width"] > width for h in hits))
        self.assertEqual(self.lib.search(query, by="color", filter='{"format": "gif"}'), [])
        self.assertEqual(len(self.lib.search(query, by="color", k=20, min_score=0.999)), 1)

    def test_search_copies_finds_the_resized_picture(self):
        hits = self.lib.search_copies(MIXED / "ukbench00120.jpg", k=5)
        names = {Path(h.path).name for h in hits}
        self.assertIn("ukbench00120_resize.jpg", names)
        self.assertNotIn("ukbench09268.jpg", names)
        self.assertTrue(all(h.confidence >= 0.5 for h in hits))
        resized = next(h for h in hits if h.path.endswith("_resize.jpg"))
        self.assertIsNotNone(resized.pdq_bits)
        self.assertGreater(resized.inliers, 0)
        self.assertEqual(len(resized.corners), 4)

    def test_duplicates_groups_the_copies(self):
        groups = self.lib.duplicates()
        grouped = [{Path(p).name for p in g.paths} for g in groups]
        self.assertTrue(any({"ukbench00120.jpg", "ukbench00120_resize.jpg"} <= g for g in grouped),
                        grouped)
        for g in groups:
            self.assertEqual(g.images[0], g.keeper)
            self.assertEqual(len(g.images), len(g.paths))
            self.assertLessEqual(g.max_bits, 31)
        self.assertLessEqual(sum(len(g.images) for g in self.lib.duplicates(max_bits=0)),
                             sum(len(g.images) for g in groups))

    def test_bad_queries_raise(self):
        with self.assertRaises(alike.Error):
            self.lib.search(self.photos / "absent.jpg", by="color")
        with self.assertRaises(alike.InvalidArgument):
            self.lib.search(b"not a picture", by="color")
        with self.assertRaises(alike.InvalidArgument):
            self.lib.search(self.flowers[0], id=1, by="color")
        with self.assertRaises(alike.InvalidArgument):
            self.lib.search(by="color")
        with self.assertRaisesRegex(alike.InvalidArgument, "uint8"):
            self.lib.search(np.zeros((4, 4, 3), dtype=np.float32), by="color")
        with self.assertRaises(alike.InvalidArgument):
            self.lib.search(42, by="color")
        with self.assertRaises(alike.NotFound):
            self.lib.search(id=10**12, by="color")
        with self.assertRaises(alike.Error):
            self.lib.search(self.flowers[0], by="nosuch")
        with self.assertRaises(alike.InvalidArgument):
            self.lib.search(self.flowers[0], by="color", filter="{bad")
        with self.assertRaises(alike.InvalidArgument):
            self.lib.index(self.photos, progress="yes")


def read_pnm(path):
    """A binary PPM (P6) or PGM (P5) file's pixels: (H, W, 3) RGB or (H, W) gray uint8."""
    data = Path(path).read_bytes()
    header = re.match(rb"(P[56])\s+(\d+)\s+(\d+)\s+255\s", data)
    magic, width, height = header.group(1), int(header.group(2)), int(header.group(3))
    shape = (height, width, 3) if magic == b"P6" else (height, width)
    return np.frombuffer(data, dtype=np.uint8, offset=header.end()).reshape(shape)


@unittest.skipUnless(FORMATS.is_dir() and FLOWERS.is_dir(), f"shared photos absent under {SHARED}")
class PixelQueryTest(unittest.TestCase):
    """Searching by decoded numpy images: imagededup's PPM and PGM photos, whose pixels numpy
    reads without a decoder, among a few flowers."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="alike-py-pixels-")
        photos = Path(cls.tmp.name) / "photos"
        photos.mkdir()
        for name in ("Iggy.1024.ppm", "baboon.pgm", "ukbench09380.bmp"):
            shutil.copyfile(FORMATS / name, photos / name)
        for source in sorted((FLOWERS / "daisy").glob("*.jpg"))[:3]:
            shutil.copyfile(source, photos / source.name)
        cls.lib = alike.Library(Path(cls.tmp.name) / "lib", embedders=["color", "pdq"])
        report = cls.lib.index(photos, progress=False)
        assert report["indexed"] == 6, report
        cls.rgb = read_pnm(FORMATS / "Iggy.1024.ppm")
        cls.gray = read_pnm(FORMATS / "baboon.pgm")

    @classmethod
    def tearDownClass(cls):
        cls.lib.close()
        cls.tmp.cleanup()

    def assert_first(self, hits, name, score=None):
        self.assertTrue(hits)
        self.assertEqual(Path(hits[0].path).name, name, hits)
        if score is not None:
            self.assertAlmostEqual(hits[0].score, score, places=3)

    def test_an_rgb_image_is_searched_like_its_file(self):
        by_pixels = self.lib.search(self.rgb, by="color", k=4)
        self.assert_first(by_pixels, "Iggy.1024.ppm", score=1.0)
        by_file = self.lib.search(FORMATS / "Iggy.1024.ppm", by="color", k=4)
        self.assertEqual([h.id for h in by_pixels], [h.id for h in by_file])
        self.assert_first(self.lib.search(self.rgb, by="pdq", k=1), "Iggy.1024.ppm", score=1.0)
        copies = self.lib.search_copies(self.rgb)
        self.assert_first(copies, "Iggy.1024.ppm")
        self.assertGreater(copies[0].confidence, 0.9)
        self.assertFalse(copies[0].mirrored)

    def test_gray_rgba_strided_and_other_layouts(self):
        self.assert_first(self.lib.search(self.gray, by="color", k=1), "baboon.pgm", score=1.0)
        rgba = np.dstack([self.rgb, np.full(self.rgb.shape[:2], 255, dtype=np.uint8)])
        self.assert_first(self.lib.search(rgba, by="color", k=1), "Iggy.1024.ppm", score=1.0)
        # Rows further apart than they are long: read in place.
        height, width, _ = self.rgb.shape
        wide = np.zeros((height, width + 5, 3), dtype=np.uint8)
        wide[:, :width] = self.rgb
        self.assertFalse(wide[:, :width].flags.c_contiguous)
        self.assert_first(self.lib.search(wide[:, :width], by="color", k=1), "Iggy.1024.ppm",
                          score=1.0)
        # Column-major and upside down: copied once, then the same pixels.
        self.assert_first(self.lib.search(np.asfortranarray(self.rgb), by="color", k=1),
                          "Iggy.1024.ppm", score=1.0)
        upside_down = self.lib.search_copies(self.rgb[::-1])
        self.assert_first(upside_down, "Iggy.1024.ppm")
        self.assertTrue(upside_down[0].mirrored)

    def test_images_it_cannot_take_raise_invalid_argument(self):
        bad = {
            "uint8": np.zeros((8, 8, 3), dtype=np.float32),
            "uint8 ": np.zeros((8, 8), dtype=np.int16),
            "channels": np.zeros((8, 8, 2), dtype=np.uint8),
            "dimensions": np.zeros((2, 8, 8, 3), dtype=np.uint8),
            "empty picture": np.zeros((0, 8, 3), dtype=np.uint8),
        }
        for message, image in bad.items():
            with self.subTest(message), self.assertRaisesRegex(alike.InvalidArgument,
                                                               message.strip()):
                self.lib.search(image, by="color")
        with self.assertRaisesRegex(alike.InvalidArgument, "channels"):
            self.lib.search_copies(np.zeros((8, 8, 5), dtype=np.uint8))


class LibraryLifecycleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="alike-py-lib-")
        self.root = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_open_without_create_close_and_use_after_close(self):
        with self.assertRaises(alike.NotFound):
            alike.Library(self.root / "absent", create=False)
        with alike.Library(self.root / "lib", embedders=["color"]) as lib:
            self.assertEqual(lib.info()["embedders"], ["color"])
        self.assertTrue(lib.closed)
        with self.assertRaisesRegex(alike.Error, "is closed"):
            lib.search(id=1, by="color")
        with self.assertRaisesRegex(alike.Error, "is closed"):
            lib.info()
        with alike.Library(self.root / "lib", create=False) as again:
            self.assertEqual(again.info()["images"], 0)

    @unittest.skipUnless(FLOWERS.is_dir(), f"shared photos absent under {SHARED}")
    def test_an_exception_in_the_progress_callback_stops_the_run_and_is_raised(self):
        photos = self.root / "photos"
        copy_photos(photos)
        calls = []

        def progress(event, state):
            calls.append(state.done)
            raise ZeroDivisionError("stop")

        with alike.Library(self.root / "lib", embedders=["color"]) as lib:
            with self.assertRaisesRegex(ZeroDivisionError, "stop"):
                lib.index(photos, jobs=1, progress=progress)
            self.assertEqual(len(calls), 1)  # never called again after it raised
            self.assertLess(lib.info()["images"], 14)  # the run stopped early

    @unittest.skipUnless(FLOWERS.is_dir(), f"shared photos absent under {SHARED}")
    def test_ctrl_c_stops_an_index_run_cleanly(self):
        # A child indexes every flower photo (4,317) one at a time and is sent SIGINT once the
        # first is done: index() must stop the run early and raise KeyboardInterrupt, and the
        # library must open again afterwards.
        child = subprocess.Popen([sys.executable, "-c", INTERRUPTED_CHILD, str(self.root / "lib")],
                                 stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(child.stdout.readline().strip(), "started")
            child.send_signal(signal.SIGINT)
            outcome = child.stdout.readline().strip()
        finally:
            child.kill()
            child.wait()
            child.stdout.close()
        self.assertEqual(outcome, "KeyboardInterrupt")
        with alike.Library(self.root / "lib", create=False) as lib:
            images = lib.info()["images"]
        self.assertGreater(images, 0)
        self.assertLess(images, 4000)

    @unittest.skipUnless(FLOWERS.is_dir() and (MODELS / CNN_WEIGHTS).is_file(),
                         f"shared photos or cnn weights absent (run scripts/setup.sh; {MODELS})")
    def test_cnn_search_ranks_the_query_first(self):
        photos = self.root / "photos"
        flowers = copy_photos(photos)
        with alike.Library(self.root / "lib", embedders=["cnn"], models=MODELS) as lib:
            report = lib.index(photos / "flowers", progress=False)
            self.assertEqual(report["indexed"], 9)
            hits = lib.search(flowers[0], k=9)
            self.assertEqual(Path(hits[0].path), flowers[0])
            self.assertGreater(hits[0].score, 0.99)
            self.assertEqual(len(hits), 9)


INTERRUPTED_CHILD = f"""
import sys
import alike

started = []

def progress(event, state):
    if state.done > 0 and not started:
        started.append(True)
        print("started", flush=True)

with alike.Library(sys.argv[1], embedders=["color"]) as lib:
    try:
        lib.index({str(FLOWERS)!r}, jobs=1, progress=progress)
        print("finished", flush=True)
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
"""


class ProgressBarTest(unittest.TestCase):
    def test_the_bar_counts_shows_failures_and_ends_its_line(self):
        from types import SimpleNamespace as Fake

        from alike import _progress

        out = io.StringIO()
        bar = _progress.ProgressBar(out)
        bar(None, Fake(found=3, done=0, unchanged=0, walk_finished=False))
        bar(Fake(kind="failed", path="b.jpg", message="b.jpg: not a picture"),
            Fake(found=4, done=1, unchanged=0, walk_finished=True))
        bar(None, Fake(found=4, done=4, unchanged=2, walk_finished=True))
        bar.close()
        text = out.getvalue()
        self.assertIn("b.jpg: not a picture\n", text)
        self.assertIn("3 found so far", text)
        last = text.rsplit("\r", 1)[-1]
        self.assertIn("#" * 30 + "] 4/4 images", last)
        self.assertIn("(2 unchanged)", last)
        self.assertTrue(text.endswith("\n"))

    def test_progress_true_shows_a_bar_only_on_a_terminal(self):
        from alike import _progress

        class Terminal(io.StringIO):
            def isatty(self):
                return True

        with mock.patch.object(sys, "stderr", io.StringIO()):
            self.assertIsNone(_progress.terminal_bar())
        with mock.patch.object(sys, "stderr", Terminal()):
            self.assertIsInstance(_progress.terminal_bar(), _progress.ProgressBar)


if __name__ == "__main__":
    unittest.main()
