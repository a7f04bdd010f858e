#include "library.h"

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <future>

#include "arrays.h"
#include "errors.h"
#include "faces.h"
#include "image_query.h"
#include "pictures.h"

namespace py = pybind11;

namespace alike::python {
namespace {

// How often index() lets Python run its signal handlers (Ctrl-C) while the library works.
constexpr std::chrono::milliseconds kSignalCheckInterval(100);

// A path or a sequence of paths, as strings.
std::vector<std::string> PathList(py::handle paths) {
  const py::object fspath = py::module_::import("os").attr("fspath");
  if (py::isinstance<py::str>(paths) || py::hasattr(paths, "__fspath__")) {
    return {fspath(paths).cast<std::string>()};
  }
  if (!py::isinstance<py::sequence>(paths)) {
    ThrowInvalidArgument("paths must be a path or a sequence of paths");
  }
  std::vector<std::string> out;
  for (const py::handle p : paths) {
    if (!py::isinstance<py::str>(p) && !py::hasattr(p, "__fspath__")) {
      ThrowInvalidArgument("paths must be a path or a sequence of paths");
    }
    out.push_back(fspath(p).cast<std::string>());
  }
  return out;
}

// progress=True: a bar on standard error when it is a terminal (alike._progress), else none.
py::object ProgressCallback(py::handle progress) {
  if (progress.is_none() || (py::isinstance<py::bool_>(progress) && !progress.cast<bool>())) {
    return py::none();
  }
  if (py::isinstance<py::bool_>(progress)) {
    return py::module_::import("alike._progress").attr("terminal_bar")();
  }
  if (!PyCallable_Check(progress.ptr())) {
    ThrowInvalidArgument("progress must be True, False, None or a callable");
  }
  return py::reinterpret_borrow<py::object>(progress);
}

py::object JsonLoads(const std::string& text) {
  return py::module_::import("json").attr("loads")(text);
}

}  // namespace

PyLibrary::PyLibrary(const std::filesystem::path& path, bool create,
                     const std::optional<std::vector<std::string>>& embedders, bool faces,
                     const std::optional<std::filesystem::path>& models) {
  LibraryOptions options;
  options.create_if_missing = create;
  if (embedders) options.embedders = *embedders;
  options.faces = faces;
  if (models) options.models_dir = models->string();
  const std::string dir = path.string();
  std::unique_ptr<Library> library;
  {
    py::gil_scoped_release release;
    library = ValueOrThrow(Library::Open(dir, options));
  }
  library_ = std::make_shared<Closable<Library>>(std::move(library), "library", dir);
}

py::object PyLibrary::Index(py::handle paths, unsigned jobs, bool prune, py::handle progress,
                            const std::optional<std::vector<std::string>>& embedders) {
  const std::vector<std::string> roots = PathList(paths);
  const py::object callback = ProgressCallback(progress);
  std::atomic<bool> cancel{false};
  std::exception_ptr callback_error;  // what the callback raised; it stops the run
  IndexOptions options;
  if (embedders) options.embedders = *embedders;
  options.jobs = jobs;
  options.prune = prune;
  options.cancel = &cancel;
  IndexObserver observer;
  if (!callback.is_none()) {
    // Called from the indexing threads, one event at a time.
    observer = [&](const IndexEvent* event, const IndexProgress& p) {
      py::gil_scoped_acquire gil;
      if (callback_error) return;
      try {
        py::object py_event = py::none();
        if (event != nullptr) {
          py_event =
              py::cast(PyIndexEvent{IndexEventKindName(event->kind), event->path, event->message});
        }
        callback(py_event, py::cast(p));
      } catch (py::error_already_set&) {
        callback_error = std::current_exception();
        cancel = true;
      }
    };
  }
  // The run goes on another thread so that this one can hand Python its signals: a Ctrl-C
  // (KeyboardInterrupt) cancels the run, which stops cleanly, and is raised once it has.
  std::future<IndexReport> run = std::async(std::launch::async, [&] {
    return library_->Use(
        [&](Library& library) { return ValueOrThrow(library.Index(roots, options, observer)); });
  });
  std::optional<py::error_already_set> interrupt;
  for (;;) {
    std::future_status status;
    {
      py::gil_scoped_release release;
      status = run.wait_for(kSignalCheckInterval);
    }
    if (status == std::future_status::ready) break;
    if (!interrupt && PyErr_CheckSignals() != 0) {
      interrupt.emplace();  // takes the pending exception
      cancel = true;
    }
  }
  const IndexReport report = run.get();
  if (py::hasattr(callback, "close")) callback.attr("close")();
  if (interrupt) throw std::move(*interrupt);
  if (callback_error) std::rethrow_exception(callback_error);
  return JsonLoads(ToJson(report));
}

std::vector<PyImageHit> PyLibrary::Search(py::handle query, std::optional<uint64_t> id, size_t k,
                                          const std::string& by, py::handle filter,
                                          std::optional<float> min_score) {
  CheckK(k);
  const PyImageQuery image_query(query, id);
  ImageSearchOptions options;
  options.by = by;
  options.k = k;
  options.filter = FilterText(filter);
  options.min_score = min_score;
  std::vector<ImageHit> hits =
      SearchWith(*library_, image_query,
                 [&](Library& lib, const ImageQuery& q) { return lib.Search(q, options); });
  std::vector<PyImageHit> out;
  out.reserve(hits.size());
  for (ImageHit& hit : hits) {
    out.push_back(
        {hit.image_id, hit.score, hit.distance, std::move(hit.paths), ParsePayload(hit.payload)});
  }
  return out;
}

std::vector<PyCopyHit> PyLibrary::SearchCopies(py::handle query, std::optional<uint64_t> id,
                                               size_t k, float min_confidence, size_t candidates,
                                               unsigned jobs) {
  CheckK(k);
  const PyImageQuery image_query(query, id);
  CopySearchOptions options;
  options.k = k;
  options.min_confidence = min_confidence;
  options.candidates = candidates;
  options.jobs = jobs;
  std::vector<CopyHit> hits =
      SearchWith(*library_, image_query,
                 [&](Library& lib, const ImageQuery& q) { return lib.SearchCopies(q, options); });
  std::vector<PyCopyHit> out;
  out.reserve(hits.size());
  for (CopyHit& hit : hits) {
    out.push_back({hit.image_id, hit.confidence,
                   hit.hash_distance >= 0 ? std::optional<int>(hit.hash_distance) : std::nullopt,
                   hit.inliers, hit.coverage, hit.mirrored, hit.corners, std::move(hit.paths)});
  }
  return out;
}

std::vector<PyDuplicateGroup> PyLibrary::Duplicates(int max_bits) {
  py::gil_scoped_release release;
  return library_->Use([&](Library& library) {
    std::vector<PyDuplicateGroup> out;
    for (const DuplicateGroup& group : ValueOrThrow(library.Duplicates({.max_bits = max_bits}))) {
      PyDuplicateGroup& g = out.emplace_back();
      g.keeper = group.keeper;
      g.max_bits = group.max_bits;
      g.images = group.images;
      for (const uint64_t image : group.images) {
        const ImageDetails details = ValueOrThrow(library.GetImage(image));
        g.paths.push_back(FirstPath(details.paths));
      }
    }
    return out;
  });
}

py::object PyLibrary::Info() {
  LibraryInfo info;
  {
    py::gil_scoped_release release;
    info = library_->Use([](Library& library) { return ValueOrThrow(library.Info()); });
  }
  py::object out = JsonLoads(ToJson(info));
  out["path"] = info.path;  // ToJson leaves it out for the HTTP API, which does not reveal it
  return out;
}

void PyLibrary::Close() {
  py::gil_scoped_release release;
  library_->Close();
}

std::string PyLibrary::Repr() const {
  return "<alike.Library '" + library_->path() + "'" + (library_->closed() ? " (closed)" : "") +
         ">";
}

void BindLibrary(py::module_& m) {
  using namespace py::literals;
  py::class_<PyImageHit>(m, "ImageHit", "One result of Library.search().")
      .def_readonly("id", &PyImageHit::id, "The image's id in the library.")
      .def_readonly("score", &PyImageHit::score,
                    "Similarity, 1 = identical (cosine similarity for cnn and color; for the "
                    "perceptual hashes pdq and dct64, 1 - differing bits / bits).")
      .def_readonly("distance", &PyImageHit::distance, "The space's own distance.")
      .def_readonly("paths", &PyImageHit::paths, "Every path of the image's content.")
      .def_property_readonly(
          "path", [](const PyImageHit& h) { return FirstPath(h.paths); }, "The first path.")
      .def_readonly("payload", &PyImageHit::payload,
                    "The image's facts as a dict: format, width, height, taken, camera, tags.")
      .def("__repr__", [](const PyImageHit& h) {
        return "ImageHit(id=" + std::to_string(h.id) + ", score=" + std::to_string(h.score) +
               ", path=" + py::repr(py::cast(FirstPath(h.paths))).cast<std::string>() + ")";
      });
  py::class_<PyCopyHit>(m, "CopyHit", "One result of Library.search_copies().")
      .def_readonly("id", &PyCopyHit::id, "The image's id in the library.")
      .def_readonly("confidence", &PyCopyHit::confidence,
                    "0..1, how sure it is a copy (README, 'Copy detection').")
      .def_readonly("pdq_bits", &PyCopyHit::pdq_bits,
                    "Fewest differing PDQ bits over the query's orientations, or None.")
      .def_readonly("inliers", &PyCopyHit::inliers,
                    "Local-feature matches one homography explains; 0: not verified.")
      .def_readonly("coverage", &PyCopyHit::coverage,
                    "Share of the query's keypoints in the matched region among the inliers.")
      .def_readonly("mirrored", &PyCopyHit::mirrored, "The hit holds the query's mirror image.")
      .def_readonly("corners", &PyCopyHit::corners,
                    "The query's corners (clockwise from top-left) in the hit's pixels, or "
                    "None when not verified.")
      .def_readonly("paths", &PyCopyHit::paths, "Every path of the image's content.")
      .def_property_readonly(
          "path", [](const PyCopyHit& h) { return FirstPath(h.paths); }, "The first path.")
      .def("__repr__", [](const PyCopyHit& h) {
        return "CopyHit(id=" + std::to_string(h.id) +
               ", confidence=" + std::to_string(h.confidence) + ")";
      });
  py::class_<PyDuplicateGroup>(m, "DuplicateGroup", "A group of copies, from duplicates().")
      .def_readonly("keeper", &PyDuplicateGroup::keeper,
                    "The image to keep: most pixels, then the oldest in the library.")
      .def_readonly("images", &PyDuplicateGroup::images, "Image ids, the keeper first.")
      .def_readonly("paths", &PyDuplicateGroup::paths, "Each image's first path, in order.")
      .def_readonly("max_bits", &PyDuplicateGroup::max_bits,
                    "The largest PDQ distance of a link that joined the group.")
      .def("__repr__", [](const PyDuplicateGroup& g) {
        return "DuplicateGroup(keeper=" + std::to_string(g.keeper) +
               ", images=" + py::repr(py::cast(g.images)).cast<std::string>() + ")";
      });
  py::class_<PyIndexEvent>(m, "IndexEvent", "One thing that happened to one file in index().")
      .def_readonly("kind", &PyIndexEvent::kind,
                    "'indexed', 'duplicate' (same content as a stored image: path added), "
                    "'failed', 'removed' (prune) or 'note'.")
      .def_readonly("path", &PyIndexEvent::path, "The file.")
      .def_readonly("message", &PyIndexEvent::message,
                    "For 'failed' and 'note': what happened, starting with the path.")
      .def("__repr__", [](const PyIndexEvent& e) {
        return "IndexEvent(kind='" + e.kind +
               "', path=" + py::repr(py::cast(e.path)).cast<std::string>() + ")";
      });
  py::class_<IndexProgress>(m, "IndexProgress", "Where an index() run stands.")
      .def_readonly("found", &IndexProgress::found, "Files found so far that need work.")
      .def_readonly("done", &IndexProgress::done,
                    "Of those, finished (indexed, duplicate, failed).")
      .def_readonly("unchanged", &IndexProgress::unchanged,
                    "Skipped: same size and mtime, vectors current.")
      .def_readonly("walk_finished", &IndexProgress::walk_finished,
                    "The walk is over and `found` is the total.");

  py::class_<PyLibrary>(m, "Library", R"(An image library: image files turned into vectors (one
space per embedder: "cnn", "color", "pdq", ...) with a catalog of paths and facts.

    with alike.Library("photos/.alike", create=True) as lib:
        lib.index("photos", progress=True)
        for hit in lib.search("query.jpg", k=5):
            print(hit.score, hit.path)

It is the library the alike command line uses: alike init / index / search / dups work on the
same directory. Closing it (or its with block) waits for calls in flight; later calls raise.)")
      .def(
          py::init<const std::filesystem::path&, bool,
                   const std::optional<std::vector<std::string>>&, bool,
                   const std::optional<std::filesystem::path>&>(),
          "path"_a, py::kw_only(), "create"_a = true, "embedders"_a = py::none(), "faces"_a = false,
          "models"_a = py::none(),
          R"(Opens the library directory `path`, making one where there is none unless create=False.

embedders: the spaces a new library indexes (default ["cnn", "color"]; "pdq" and "dct64" are
perceptual hashes, used by search_copies() and duplicates()). faces: a new library detects and
indexes faces. models: the model directory (default $ALIKE_MODELS, else the one
scripts/setup.sh fills). Raises NotFound when there is no library and create=False.)")
      .def_property_readonly("path", &PyLibrary::path, "The library directory.")
      .def_property_readonly("closed", &PyLibrary::closed, "Whether close() was called.")
      .def("index", &PyLibrary::Index, "paths"_a, py::kw_only(), "jobs"_a = 0, "prune"_a = false,
           "progress"_a = true, "embedders"_a = py::none(),
           R"(Indexes image files and directories (recursively); returns a report dict:
indexed, duplicates, unchanged, failed, removed, cancelled, seconds.

Incremental: files whose size and mtime are unchanged are skipped. A file that cannot be read is
counted as failed, never fatal. jobs: decoding and embedding threads, 0 = all cores. prune:
forget catalogued files under the paths that are gone. progress: True shows a bar on standard
error when it is a terminal; a callable is called as progress(event, progress) with an
IndexEvent (or None) and an IndexProgress, from the indexing threads one call at a time; an
exception it raises stops the run and is raised by index(). Ctrl-C (KeyboardInterrupt) stops the
run cleanly, keeping what it indexed, and is raised once it has stopped. The GIL is released
while the library works.)")
      .def("search", &PyLibrary::Search, "query"_a = py::none(), py::kw_only(), "id"_a = py::none(),
           "k"_a = 10, "by"_a = "cnn", "filter"_a = py::none(), "min_score"_a = py::none(),
           R"(The images most like a picture, best first: a list of ImageHit.

query: a picture file's path, its encoded bytes, or a decoded numpy uint8 image: (H, W, 3) RGB,
(H, W) gray or (H, W, 4) RGBA, read in place when only its rows are spaced out (any other layout
is copied once); or id=: an indexed image (itself left out of the hits). by: the space to search
("cnn", "color", "pdq", "dct64", a user model). filter: a dict or JSON string over the image
payload (e.g. {"format": "jpeg", "width": {"$gte": 1000}}). min_score: drop hits less similar
than this. The GIL is released while the library searches.)")
      .def("search_copies", &PyLibrary::SearchCopies, "query"_a = py::none(), py::kw_only(),
           "id"_a = py::none(), "k"_a = 10, "min_confidence"_a = 0.5f, "candidates"_a = 20,
           "jobs"_a = 0,
           R"(Copies of a picture among the indexed images (re-posted, cropped, resized,
recompressed, mirrored), most confident first: a list of CopyHit. Candidates come from the "pdq"
and "cnn" spaces and are verified with local features (on the decoded pixels, so a numpy image
is verified as well as a file). query / id= as for search().)")
      .def("duplicates", &PyLibrary::Duplicates, py::kw_only(), "max_bits"_a = 31,
           R"(Every group of two or more indexed images that are copies of one another by their
PDQ hashes (at most max_bits differing bits), largest group first: a list of DuplicateGroup.
Needs the "pdq" space.)")
      .def_property_readonly("faces", &PyLibrary::faces,
                             "Face search and the persons of the library (a Faces); faces are "
                             "opt-in: Library(path, faces=True).")
      .def("info", &PyLibrary::Info,
           R"(A dict: path, images, files, image_bytes, thumbnail_bytes, disk_bytes, embedders,
copy_feature_bytes (the features cached for copy search), faces (whether faces are indexed), persons, and spaces: a dict per embedder with its model in short
(model, fingerprint), the whole version and installed_version, current, dimension, vectors and
disk_bytes; the same as the HTTP API's GET /v1/library, plus the path.)")
      .def("close", &PyLibrary::Close, "Closes the library; calling it again does nothing.")
      .def("__enter__", [](py::object self) { return self; })
      .def(
          "__exit__",
          [](PyLibrary& library, const py::args&) {
            library.Close();
            return false;
          },
          "Closes the library.")
      .def("__repr__", &PyLibrary::Repr);
}

}  // namespace alike::python
