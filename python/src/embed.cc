#include "embed.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "alike/embed.h"
#include "errors.h"
#include "pictures.h"

namespace py = pybind11;

namespace alike::python {
namespace {

struct PyFace {
  py::array vector;     // float32 (d,)
  py::tuple box;        // (x, y, w, h)
  py::array landmarks;  // float32 (5, 2)
  float score = 0;
};

class PyEmbedder {
 public:
  PyEmbedder(const std::string& name, const std::optional<std::filesystem::path>& models,
             uint64_t max_pixels) {
    ImageEmbedderOptions options{.max_pixels = max_pixels};
    if (models) options.models_dir = models->string();
    py::gil_scoped_release release;  // loading weights takes a while
    embedder_ = ValueOrThrow(ImageEmbedder::Open(name, options));
  }

  const ImageEmbedder& get() const { return *embedder_; }

  py::object Embed(py::handle image) const {
    const Picture picture(image, "image");
    auto found = [&] {
      py::gil_scoped_release release;
      return embedder_->Embed(picture.source());
    }();
    return Convert(ValueOrThrow(std::move(found)));
  }

  py::list EmbedMany(py::handle images, unsigned jobs) const {
    if (py::isinstance<py::str>(images) || py::isinstance<py::bytes>(images) ||
        py::isinstance<py::array>(images) || !py::isinstance<py::sequence>(images)) {
      ThrowInvalidArgument("images must be a sequence (a list) of pictures");
    }
    std::vector<Picture> pictures;
    for (const py::handle image : images) {
      pictures.emplace_back(image, "images[" + std::to_string(pictures.size()) + "]");
    }
    std::vector<std::optional<Result<std::vector<ImageEmbedding>>>> found(pictures.size());
    {
      py::gil_scoped_release release;
      std::atomic<size_t> next{0};
      const auto work = [&] {
        for (size_t i = next++; i < pictures.size(); i = next++) {
          found[i] = embedder_->Embed(pictures[i].source());
        }
      };
      const size_t threads = std::min<size_t>(
          pictures.size(), jobs > 0 ? jobs : std::max(1u, std::thread::hardware_concurrency()));
      std::vector<std::jthread> workers;
      for (size_t t = 1; t < threads; ++t) workers.emplace_back(work);
      work();
    }  // the workers have joined
    py::list out;
    for (auto& f : found) out.append(Convert(ValueOrThrow(std::move(*f))));
    return out;
  }

  std::string Repr() const {
    return "<alike.Embedder '" + embedder_->name() + "' " + embedder_->version_name() + " (" +
           std::to_string(embedder_->dimension()) + "-d " + MetricName(embedder_->metric()) + ")>";
  }

 private:
  // A face embedder's list of Face; otherwise the one vector, or None for a picture the
  // embedder cannot describe.
  py::object Convert(std::vector<ImageEmbedding> found) const {
    if (!embedder_->faces()) {
      if (found.empty()) return py::none();
      const ImageEmbedding& e = found.front();
      if (!e.binary.empty()) return py::array_t<uint8_t>(e.binary.size(), e.binary.data());
      return py::array_t<float>(e.vector.size(), e.vector.data());
    }
    py::list faces;
    for (const ImageEmbedding& e : found) {
      PyFace face;
      face.vector = py::array_t<float>(e.vector.size(), e.vector.data());
      const PixelBox box = e.box.value_or(PixelBox{});
      face.box = py::make_tuple(box.x, box.y, box.width, box.height);
      py::array_t<float> landmarks({static_cast<py::ssize_t>(e.landmarks.size()), py::ssize_t{2}});
      auto points = landmarks.mutable_unchecked<2>();
      for (size_t i = 0; i < e.landmarks.size(); ++i) {
        points(i, 0) = e.landmarks[i].x;
        points(i, 1) = e.landmarks[i].y;
      }
      face.landmarks = std::move(landmarks);
      face.score = e.score;
      faces.append(py::cast(std::move(face)));
    }
    return faces;
  }

  std::shared_ptr<const ImageEmbedder> embedder_;
};

constexpr char kEmbedDoc[] = R"(The embedding of one picture.

image: a path (str or os.PathLike); a picture file's encoded bytes (bytes, bytearray, memoryview
    or a 1-D uint8 array); or decoded pixels, a numpy uint8 array (H, W) grey, (H, W, 3) RGB or
    (H, W, 4) RGBA (PIL: numpy.asarray(img)). Rows may be strided (a crop of a larger array is
    read in place); other layouts are copied once. Files and bytes are decoded as `alike index`
    decodes them (EXIF orientation applied); pixels are taken as they are.
Returns, for a whole-picture embedder, one vector: float32 (dimension,), unit length, or for the
perceptual hashes pdq and dct64 uint8 (dimension/8,) packed bits (numpy.unpackbits); None where
the embedder cannot describe the picture (a flat picture has no hash). For "face": a list of
Face, one per face found, empty for a picture without faces.
Raises InvalidArgument for an image of another type, dtype or shape, and for pixels over the
embedder's max_pixels; an error naming the file when it cannot be read or decoded. The GIL is
released while the picture is decoded and embedded.)";

}  // namespace

void BindEmbed(py::module_& m) {
  using namespace py::literals;
  py::class_<PyFace>(m, "Face", "One face that Embedder('face').embed() found in a picture.")
      .def_readonly("vector", &PyFace::vector,
                    "float32 (128,), unit length; the same person lies within a squared "
                    "Euclidean distance of about 0.17.")
      .def_readonly("box", &PyFace::box,
                    "(x, y, width, height) in the picture's pixels, clipped to the picture.")
      .def_readonly("landmarks", &PyFace::landmarks,
                    "float32 (5, 2): (x, y) of the outer and inner corner of each eye, then the "
                    "base of the nose, in the picture's pixels.")
      .def_readonly("score", &PyFace::score, "The face detector's confidence, 0..1.")
      .def("__repr__", [](const PyFace& f) {
        return "Face(box=" + py::repr(f.box).cast<std::string>() +
               ", score=" + std::to_string(f.score) + ")";
      });

  py::class_<PyEmbedder>(m, "Embedder", R"(One of alike's image embedders, for vectors kept in
another store (numpy, Faiss, another database).

    cnn = alike.Embedder("cnn")                   # loads the weights once: keep it for a loop
    vector = cnn.embed("photo.jpg")               # float32 (cnn.dimension,), unit length
    faces = alike.Embedder("face").embed(pixels)  # a list of Face (vector, box, landmarks, score)

The names are those `alike models` lists (Embedder.names()): "cnn", "color", "pdq", "dct64",
"face" (once its model files are installed) and each user model spec in the models directory.
The vectors are those an alike.Library with that embedder stores. An Embedder may be used from
many threads at once.)")
      .def(py::init<const std::string&, const std::optional<std::filesystem::path>&, uint64_t>(),
           "name"_a = "cnn", "models"_a = py::none(), py::kw_only(),
           "max_pixels"_a = uint64_t{100'000'000},
           R"(Loads the embedder `name` from the models directory `models` (default
$ALIKE_MODELS, else the one scripts/setup.sh fills, as for Library). max_pixels: larger pictures
are refused unread. Raises NotFound, listing the names there are, for an unknown name, and
alike.Error when the model cannot be loaded (weights not installed).)")
      .def_property_readonly(
          "name", [](const PyEmbedder& e) { return e.get().name(); }, "The embedder's name.")
      .def_property_readonly(
          "version", [](const PyEmbedder& e) { return e.get().version(); },
          "Changes whenever the vectors for a given picture change (weights, preprocessing): "
          "store it beside the vectors and re-embed when it differs.")
      .def_property_readonly(
          "version_name", [](const PyEmbedder& e) { return e.get().version_name(); },
          "The version in short, for people: '<name>/<revision>', e.g. 'mobilenet_v2+v1/1'.")
      .def_property_readonly(
          "fingerprint", [](const PyEmbedder& e) { return e.get().version_fingerprint(); },
          "8 hex digits of the whole version's CRC-32C: tells two variants of one name apart.")
      .def_property_readonly(
          "dimension", [](const PyEmbedder& e) { return e.get().dimension(); },
          "Floats per vector; for 'hamming' embedders bits per hash (dimension/8 bytes).")
      .def_property_readonly(
          "metric", [](const PyEmbedder& e) { return MetricName(e.get().metric()); },
          "How vectors compare, as Database.create_collection() takes it: 'cosine' (cnn, color, "
          "user models), 'l2' (face: squared distance) or 'hamming' (pdq, dct64).")
      .def_property_readonly(
          "faces", [](const PyEmbedder& e) { return e.get().faces(); },
          "True for 'face': embed() gives a list of Face rather than one vector.")
      .def("embed", &PyEmbedder::Embed, "image"_a, kEmbedDoc)
      .def("embed_many", &PyEmbedder::EmbedMany, "images"_a, py::kw_only(), "jobs"_a = 0,
           R"(embed() for each picture of a sequence, on `jobs` threads (0 = all cores); returns a
list of what embed() returns, in order. Raises the first picture's error (in order) if any
fails, naming it (images[i] for bytes and pixels).)")
      .def_static(
          "names",
          [](const std::optional<std::filesystem::path>& models) {
            return ImageEmbedder::Names(models ? models->string() : std::string());
          },
          "models"_a = py::none(),
          "The embedder names the models directory offers (nothing is loaded, so one may still "
          "fail to open).")
      .def("__repr__", &PyEmbedder::Repr);

  m.def(
      "embed",
      [](py::handle image, py::handle embedder,
         const std::optional<std::filesystem::path>& models) {
        if (py::isinstance<PyEmbedder>(embedder))
          return embedder.cast<const PyEmbedder&>().Embed(image);
        if (!py::isinstance<py::str>(embedder)) {
          ThrowInvalidArgument("embedder must be a name (str) or an alike.Embedder");
        }
        return PyEmbedder(embedder.cast<std::string>(), models, ImageEmbedderOptions{}.max_pixels)
            .Embed(image);
      },
      "image"_a, "embedder"_a = "cnn", py::kw_only(), "models"_a = py::none(),
      R"(Embedder(embedder, models).embed(image): the embedding of one picture, for one-off use.

embedder: a name ("cnn", "color", "pdq", "dct64", "face", a user model) or an Embedder. Opening
an embedder by name loads its weights on every call, which takes far longer than embedding: a
loop should make one alike.Embedder and call its embed() (or embed_many()).)");
}

}  // namespace alike::python
