"""Library.faces from Python on the deepface photos of the shared data (<repo>/../shared or
$ALIKE_SHARED_DIR; data/faces/deepface, whose master.csv says which photos show one person) with
the face models scripts/setup.sh installs ($ALIKE_MODELS or <repo>/models), as the C++ face
library tests do. Skips when either is absent.
"""

import os
import tempfile
import unittest
from pathlib import Path

import numpy as np

import alike

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("ALIKE_SHARED_DIR", REPO.parent / "shared"))
DEEPFACE = SHARED / "data/faces/deepface"
MODELS = Path(os.environ.get("ALIKE_MODELS", REPO / "models"))
FACE_MODELS = ("dlib_face_recognition_resnet_model_v1.dat", "mmod_human_face_detector.dat",
               "shape_predictor_5_face_landmarks.dat")

# Photos of one person (master.csv: img1 with img2 and img4 "Yes"), and two photos each of two
# others (img20 with img21, img16 with img17).
SAME = ["img1.jpg", "img2.jpg", "img4.jpg"]
OTHERS = ["img20.jpg", "img21.jpg", "img16.jpg", "img17.jpg"]


def absent():
    missing = [m for m in FACE_MODELS if not (MODELS / m).is_file()]
    if missing:
        return f"face models absent from {MODELS} (run scripts/setup.sh): {', '.join(missing)}"
    if not all((DEEPFACE / f).is_file() for f in SAME + OTHERS):
        return f"shared deepface photos absent under {DEEPFACE}"
    return None


@unittest.skipIf(absent(), absent())
class FacesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="alike-py-faces-")
        self.lib = alike.Library(Path(self.tmp.name) / "lib", embedders=["color"], faces=True,
                                 models=MODELS)
        report = self.lib.index([DEEPFACE / f for f in SAME + OTHERS], jobs=2, progress=False)
        self.assertEqual(report["indexed"], 7, report)

    def tearDown(self):
        self.lib.close()
        self.tmp.cleanup()

    def names(self, hits):
        return [Path(h.path).name for h in hits]

    def test_search_finds_the_same_person_by_file_bytes_and_id(self):
        faces = self.lib.faces.search(DEEPFACE / "img1.jpg", k=5)
        self.assertEqual(len(faces), 1)
        face = faces[0]
        x, y, width, height = face.box
        self.assertGreater(width * height, 0)
        self.assertGreater(face.score, 0)
        self.assertEqual(len(face.landmarks), 5)
        self.assertEqual(self.names(face.hits)[0], "img1.jpg")  # the indexed photo itself
        self.assertEqual(set(self.names(face.hits)), set(SAME))
        self.assertEqual([h.distance for h in face.hits], sorted(h.distance for h in face.hits))
        hit = face.hits[1]
        self.assertLess(hit.distance, 0.17)
        self.assertEqual(len(hit.box), 4)
        self.assertEqual(hit.path, hit.paths[0])
        self.assertIsNotNone(hit.person)
        self.assertEqual(hit.name, "")  # grouped, not named

        by_bytes = self.lib.faces.search((DEEPFACE / "img1.jpg").read_bytes(), k=5)
        self.assertEqual([h.face for h in by_bytes[0].hits], [h.face for h in face.hits])
        by_id = self.lib.faces.search(id=face.hits[0].id, k=5)
        self.assertEqual(set(self.names(by_id[0].hits)), set(SAME) - {"img1.jpg"})
        strict = self.lib.faces.search(DEEPFACE / "img1.jpg", threshold=1e-6)
        self.assertEqual(self.names(strict[0].hits), ["img1.jpg"])

    def test_people_names_and_the_images_of_a_person(self):
        people = self.lib.faces.people()
        self.assertEqual(sum(p.faces for p in people), 7)
        first = self.lib.faces.search(DEEPFACE / "img1.jpg")[0].hits[0]
        person = next(p for p in people if p.person == first.person)
        self.assertEqual((person.faces, person.images, person.name), (3, 3, ""))
        self.assertIn(Path(person.representative.path).name, SAME)

        self.assertEqual(self.lib.faces.name(person.person, "ann"), person.person)
        self.assertEqual(set(self.names(self.lib.faces.person("ann"))), set(SAME))
        self.assertEqual(len(self.lib.faces.person(person.person, k=2)), 2)
        self.assertEqual(self.lib.faces.search(DEEPFACE / "img2.jpg")[0].hits[0].name, "ann")
        self.assertIn("ann", [p.name for p in self.lib.faces.people()])

    def test_forget_erases_a_person_and_forget_all_turns_faces_off(self):
        person = self.lib.faces.search(DEEPFACE / "img1.jpg")[0].hits[0].person
        self.lib.faces.name(person, "ann")
        self.assertEqual(self.lib.faces.forget("ann"), {"faces": 3, "persons": 1})
        with self.assertRaises(alike.NotFound):
            self.lib.faces.person("ann")
        self.assertEqual(sum(p.faces for p in self.lib.faces.people()), 4)
        forgotten = self.lib.faces.forget_all()
        self.assertEqual(forgotten["faces"], 4)
        self.assertFalse(self.lib.info()["faces"])
        with self.assertRaisesRegex(alike.Error, "opt-in"):
            self.lib.faces.people()

    def test_queries_without_faces_and_bad_queries_raise(self):
        with self.assertRaisesRegex(alike.InvalidArgument, "no face"):
            self.lib.faces.search(np.full((64, 64, 3), 128, dtype=np.uint8))
        with self.assertRaisesRegex(alike.InvalidArgument, "uint8"):
            self.lib.faces.search(np.zeros((64, 64, 3), dtype=np.float64))
        with self.assertRaises(alike.InvalidArgument):
            self.lib.faces.search()
        for threshold in (-1, 4.5, float("nan")):
            with self.assertRaisesRegex(alike.InvalidArgument, "threshold"):
                self.lib.faces.search(DEEPFACE / "img1.jpg", threshold=threshold)
        with self.assertRaises(alike.InvalidArgument):
            self.lib.faces.person(1.5)
        with self.assertRaises(alike.NotFound):
            self.lib.faces.person("nobody")


class NoFacesTest(unittest.TestCase):
    def test_a_library_without_faces_says_how_to_turn_them_on(self):
        with tempfile.TemporaryDirectory(prefix="alike-py-faces-") as tmp:
            with alike.Library(Path(tmp) / "lib", embedders=["color"]) as lib:
                for call in (lib.faces.people, lambda: lib.faces.search(id=1),
                             lambda: lib.faces.person("ann"), lambda: lib.faces.forget("ann")):
                    with self.assertRaisesRegex(alike.Error, "opt-in"):
                        call()


if __name__ == "__main__":
    unittest.main()
