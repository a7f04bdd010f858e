"""alike.Embedder and alike.embed(): alike's image embedders for vectors kept elsewhere. The
weight-free embedders ("color", "pdq", "dct64") run everywhere; "cnn" and "face" need the weights
scripts/setup.sh installs ($ALIKE_MODELS or <repo>/models) and skip without them. Photos come
from the shared data (<repo>/../shared, or $ALIKE_SHARED_DIR).
"""

import os
import tempfile
import unittest
from pathlib import Path

import numpy as np

import alike
from gil_check import ticks_during

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("ALIKE_SHARED_DIR", REPO.parent / "shared"))
MODELS = Path(os.environ.get("ALIKE_MODELS", REPO / "models"))
FORMATS = SHARED / "data/copies/imagededup/tests/data/formats_images"
PPM = FORMATS / "Iggy.1024.ppm"  # 1024x1024 binary PPM: pixels numpy can read without a codec
JPEG = FORMATS / "ukbench09380.jpeg"
ONE_FACE = SHARED / "data/faces/deepface/img2.jpg"  # one person, 1536x1152
NO_FACE = SHARED / "data/copies/opencv-pairs/leuvenA.jpg"  # a street
HAS_CNN = (MODELS / "tf2_mobilenet_v2_1.0_224_ptq.tflite").is_file()
HAS_FACE = (MODELS / "dlib_face_recognition_resnet_model_v1.dat").is_file()


def read_ppm(path):
    """A binary (P6, 8-bit) PPM as an (H, W, 3) RGB uint8 array."""
    data = path.read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval, separated by whitespace
        while data[pos:pos + 1].isspace():
            pos += 1
        start = pos
        while not data[pos:pos + 1].isspace():
            pos += 1
        fields.append(data[start:pos])
    assert fields[0] == b"P6" and fields[3] == b"255", fields
    width, height = int(fields[1]), int(fields[2])
    pixels = np.frombuffer(data, dtype=np.uint8, count=width * height * 3, offset=pos + 1)
    return pixels.reshape(height, width, 3)


@unittest.skipUnless(PPM.is_file(), f"shared photos absent under {SHARED}")
class EmbedderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.color = alike.Embedder("color")
        cls.rgb = read_ppm(PPM)

    def test_describes_itself(self):
        self.assertEqual(self.color.name, "color")
        self.assertEqual(self.color.metric, "cosine")
        self.assertFalse(self.color.faces)
        self.assertTrue(self.color.version)
        self.assertEqual(len(self.color.fingerprint), 8)
        self.assertIn("color", repr(self.color))
        names = alike.Embedder.names()
        for name in ("cnn", "color", "pdq", "dct64"):
            self.assertIn(name, names)

    def test_vectors_are_unit_float32_and_hashes_packed_uint8(self):
        v = self.color.embed(PPM)
        self.assertEqual(v.dtype, np.float32)
        self.assertEqual(v.shape, (self.color.dimension,))
        self.assertAlmostEqual(float(np.dot(v, v)), 1.0, places=5)
        for name, size in (("pdq", 32), ("dct64", 8)):
            hasher = alike.Embedder(name)
            self.assertEqual(hasher.metric, "hamming")
            self.assertEqual(hasher.dimension, size * 8)
            h = hasher.embed(str(PPM))
            self.assertEqual(h.dtype, np.uint8)
            self.assertEqual(h.shape, (size,))

    def test_a_flat_picture_has_no_hash(self):
        self.assertIsNone(alike.Embedder("pdq").embed(np.full((200, 300), 128, dtype=np.uint8)))

    def test_path_bytes_and_pixels_of_a_lossless_file_give_one_vector(self):
        # A PPM decodes to exactly these pixels, and both paths shrink them alike.
        by_path = self.color.embed(PPM)
        data = PPM.read_bytes()
        for same in (str(PPM), data, bytearray(data), memoryview(data),
                     np.frombuffer(data, dtype=np.uint8), self.rgb):
            np.testing.assert_array_equal(self.color.embed(same), by_path)

    def test_pixel_layouts(self):
        crop = self.rgb[100:900, 50:950]  # strided rows: read in place
        np.testing.assert_array_equal(self.color.embed(crop),
                                      self.color.embed(np.ascontiguousarray(crop)))
        every_other = self.rgb[:, ::2]  # a column step: copied
        np.testing.assert_array_equal(self.color.embed(every_other),
                                      self.color.embed(np.ascontiguousarray(every_other)))
        opaque = np.dstack([self.rgb, np.full(self.rgb.shape[:2], 255, dtype=np.uint8)])
        np.testing.assert_array_equal(self.color.embed(opaque), self.color.embed(self.rgb))
        grey = self.rgb[:, :, 1].copy()
        self.assertEqual(self.color.embed(grey).shape, (self.color.dimension,))
        # A grey picture is its grey level in all three channels.
        np.testing.assert_array_equal(self.color.embed(grey),
                                      self.color.embed(np.dstack([grey, grey, grey])))

    def test_bad_inputs_raise(self):
        for bad in (self.rgb.astype(np.float32), self.rgb[:, :, :2], self.rgb[None],
                    np.zeros((4, 4, 3), dtype=np.int16), 42, [1, 2, 3], None):
            with self.assertRaises(alike.InvalidArgument, msg=repr(type(bad))):
                self.color.embed(bad)
        with self.assertRaises(alike.InvalidArgument):
            alike.Embedder("color", max_pixels=1000).embed(self.rgb)
        with self.assertRaises(alike.InvalidArgument):
            self.color.embed(np.zeros((0, 10, 3), dtype=np.uint8))
        with self.assertRaises(alike.Error) as missing:
            self.color.embed("/nonexistent/picture.jpg")
        self.assertIn("/nonexistent/picture.jpg", str(missing.exception))
        with tempfile.TemporaryDirectory() as tmp:
            broken = Path(tmp) / "broken.jpg"
            broken.write_bytes(JPEG.read_bytes()[:2000])  # truncated
            with self.assertRaises(alike.Error) as corrupt:
                self.color.embed(broken)
            self.assertIn(str(broken), str(corrupt.exception))
        with self.assertRaises(alike.Error) as garbage:
            self.color.embed(b"not a picture")
        self.assertIn("image", str(garbage.exception))

    def test_an_unknown_name_is_not_found_and_lists_the_known(self):
        with self.assertRaises(alike.NotFound) as e:
            alike.Embedder("resnet9000")
        self.assertIn("resnet9000", str(e.exception))
        self.assertIn("color", str(e.exception))
        with self.assertRaises(alike.NotFound):
            alike.embed(PPM, embedder="resnet9000")

    def test_embed_function_and_embed_many(self):
        by_path = self.color.embed(PPM)
        np.testing.assert_array_equal(alike.embed(PPM, embedder="color"), by_path)
        np.testing.assert_array_equal(alike.embed(PPM, embedder=self.color), by_path)
        with self.assertRaises(alike.InvalidArgument):
            alike.embed(PPM, embedder=3)
        pictures = [PPM, self.rgb[::2, ::2], np.full((64, 64), 128, dtype=np.uint8)]
        many = self.color.embed_many(pictures, jobs=2)
        self.assertEqual(len(many), 3)
        for picture, vector in zip(pictures, many):
            np.testing.assert_array_equal(vector, self.color.embed(picture))
        self.assertEqual(self.color.embed_many([]), [])
        with self.assertRaises(alike.Error) as e:
            self.color.embed_many([PPM, b"not a picture"])
        self.assertIn("images[1]", str(e.exception))
        with self.assertRaises(alike.InvalidArgument):
            self.color.embed_many(str(PPM))

    def test_embed_releases_the_gil(self):
        big = np.ascontiguousarray(np.tile(self.rgb, (3, 4, 1)))  # 3072 x 4096: a long convert
        inside, seconds = ticks_during(lambda: self.color.embed(big), 4)
        self.assertGreater(sum(inside), 100,
                           f"main-thread ticks in the middle of each embed: {inside}, "
                           f"seconds: {seconds}")


@unittest.skipUnless(HAS_CNN and ONE_FACE.is_file(),
                     f"cnn weights ({MODELS}) or shared photos ({SHARED}) absent")
class CnnTest(unittest.TestCase):
    def test_the_vector_is_the_one_a_library_stores(self):
        cnn = alike.Embedder("cnn", MODELS)
        self.assertEqual(cnn.metric, "cosine")
        photo = ONE_FACE  # reduced while decoding (DCT scaling), then shrunk
        vector = cnn.embed(photo)
        self.assertEqual(vector.dtype, np.float32)
        self.assertEqual(vector.shape, (cnn.dimension,))
        self.assertAlmostEqual(float(np.dot(vector, vector)), 1.0, places=5)
        np.testing.assert_array_equal(cnn.embed(photo.read_bytes()), vector)
        with tempfile.TemporaryDirectory() as tmp:
            with alike.Library(Path(tmp) / "lib", embedders=["cnn"], models=MODELS) as lib:
                self.assertEqual(lib.index(photo, progress=False)["indexed"], 1)
                (space,) = lib.info()["spaces"]
                self.assertEqual(space["version"], cnn.version)
            # A library is a database whose collection "image.<embedder>" holds the vectors.
            with alike.open(Path(tmp) / "lib", create=False) as db:
                col = db.collection("image.cnn")
                self.assertEqual(len(col), 1)
                (record_id,), _ = col.search(vector, k=1, exact=True)
                stored = col.get(int(record_id[0])).vector
        # Equal here; the tolerance only allows for the store's normalising cosine vectors.
        np.testing.assert_allclose(stored, vector, rtol=0, atol=1e-6)


@unittest.skipUnless(HAS_FACE and ONE_FACE.is_file() and NO_FACE.is_file(),
                     f"face weights ({MODELS}) or shared photos ({SHARED}) absent")
class FaceTest(unittest.TestCase):
    def test_faces_come_with_boxes_landmarks_and_scores(self):
        face = alike.Embedder("face", MODELS)
        self.assertTrue(face.faces)
        self.assertEqual(face.metric, "l2")
        (found,) = face.embed(ONE_FACE)
        self.assertIsInstance(found, alike.Face)
        self.assertEqual(found.vector.dtype, np.float32)
        self.assertEqual(found.vector.shape, (face.dimension,))
        self.assertAlmostEqual(float(np.dot(found.vector, found.vector)), 1.0, places=5)
        x, y, w, h = found.box
        self.assertTrue(0 <= x and 0 <= y and x + w <= 1536 and y + h <= 1152, found.box)
        self.assertGreater(w, 100)
        self.assertEqual(found.landmarks.dtype, np.float32)
        self.assertEqual(found.landmarks.shape, (5, 2))
        lx, ly = found.landmarks[:, 0], found.landmarks[:, 1]  # on the face, near its box
        inside = ((lx > x - w / 5) & (lx < x + w * 1.2) & (ly > y - h / 5) & (ly < y + h * 1.2))
        self.assertTrue(inside.all(), found.landmarks)
        self.assertGreater(found.score, 0.5)
        self.assertIn("Face(box=", repr(found))
        self.assertEqual(face.embed(NO_FACE), [])
        self.assertEqual(face.embed_many([NO_FACE]), [[]])


if __name__ == "__main__":
    unittest.main()
