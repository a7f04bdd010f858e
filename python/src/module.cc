// alike._alike: the compiled half of the `alike` Python package (python/alike/__init__.py
// re-exports it). It talks to the library through include/alike/ only.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "arrays.h"
#include "database.h"
#include "embed.h"
#include "errors.h"
#include "faces.h"
#include "library.h"

namespace py = pybind11;
using namespace py::literals;

namespace alike::python {
namespace {

constexpr char kModuleDoc[] = R"(alike's embedded vector database from Python.

    import numpy as np, alike
    with alike.open("vectors.alike") as db:
        col = db.create_collection("products", dim=128)
        col.upsert(np.arange(1000, dtype=np.uint64), np.random.rand(1000, 128).astype(np.float32))
        ids, distances = col.search(np.random.rand(5, 128).astype(np.float32), k=10)

Every long call (upsert, search, delete, compact, checkpoint, snapshot, open) releases the GIL,
so Python threads search in parallel; a Database and its Collections may be used from many
threads at once.)";

void BindHitAndRecord(py::module_& m) {
  py::class_<PyHit>(m, "Hit", "One search result of Collection.query().")
      .def_readonly("id", &PyHit::id, "The record's id.")
      .def_readonly("distance", &PyHit::distance,
                    "Distance to the query under the collection's metric; smaller is closer.")
      .def_readonly("payload", &PyHit::payload,
                    "The record's payload as a dict, or None when with_payload=False.")
      .def("__repr__", [](const PyHit& hit) {
        return "Hit(id=" + std::to_string(hit.id) + ", distance=" + std::to_string(hit.distance) +
               ", payload=" + py::repr(hit.payload).cast<std::string>() + ")";
      });
  py::class_<PyRecord>(m, "Record", "A stored record, as Collection.get() returns it.")
      .def_readonly("id", &PyRecord::id, "The record's id.")
      .def_readonly("vector", &PyRecord::vector,
                    "The stored vector: float32 (d,), L2-normalised for cosine collections; "
                    "uint8 (d/8,) packed bits for hamming collections.")
      .def_readonly("payload", &PyRecord::payload, "The record's payload as a dict.")
      .def("__repr__", [](const PyRecord& record) {
        return "Record(id=" + std::to_string(record.id) +
               ", payload=" + py::repr(record.payload).cast<std::string>() + ")";
      });
}

void BindCollection(py::module_& m) {
  py::class_<PyCollection>(m, "Collection", R"(A named set of (id, vector, payload) records.

Get one from Database.create_collection() or Database.collection(). It stays usable while its
database is open; after Database.close() or drop_collection() every call raises.)")
      .def_property_readonly("name", &PyCollection::name, "The collection's name.")
      .def_property_readonly(
          "dim", [](const PyCollection& c) { return c.options().dimension; },
          "Floats per vector, or bits per vector for hamming collections.")
      .def_property_readonly(
          "metric", [](const PyCollection& c) { return MetricName(c.options().metric); },
          "'cosine', 'l2', 'ip' or 'hamming'.")
      .def_property_readonly(
          "index", [](const PyCollection& c) { return IndexKindName(c.options().index); },
          "'hnsw', 'flat' or 'sq8'.")
      .def("upsert", &PyCollection::Upsert, "ids"_a, "vectors"_a, "payloads"_a = py::none(),
           R"(Inserts or replaces records, as one atomic and durable batch.

ids: uint64 array (n,) (other integer dtypes are converted; negative ids and alike.NO_ID are
    refused). vectors: float32 array (n, d), read in place without a copy when C-contiguous
    (other real dtypes and layouts are converted once); for hamming collections a uint8 array
    (n, d/8) of packed bits (numpy.packbits). payloads: None, or n dicts (or JSON object strings,
    or None) stored with the vectors and matched by filters.
When this returns, the batch is in the write-ahead log (fsync'ed unless sync=False): it survives
a crash. Raises InvalidArgument, writing nothing, if any record is invalid (wrong dimension,
NaN or infinite component, zero vector in a cosine collection, malformed payload).)")
      .def("search", &PyCollection::Search, "queries"_a, "k"_a = 10, py::kw_only(),
           "filter"_a = py::none(), "ef"_a = py::none(), "exact"_a = false,
           "max_distance"_a = py::none(),
           R"(Finds the k nearest records of each query; returns (ids, distances).

queries: float32 array (nq, d), or one vector (d,) which counts as nq = 1 (uint8 packed bits
    for hamming collections).
Returns two arrays of shape (nq, k): uint64 ids and float32 distances, nearest first. Where
fewer than k records match (a small collection, a narrow filter, max_distance), the rows are
padded with alike.NO_ID and inf; that is never an error.
filter: a dict or JSON string over payload fields (README "Filters"), e.g.
    {"color": "red", "price": {"$lt": 10}}. ef: HNSW candidate list size for this call (default:
    the collection's ef_search; larger is slower and more exact). exact: scan every record
    instead of using the index (ground truth). max_distance: drop hits farther than this.)")
      .def("query", &PyCollection::QueryHits, "vector"_a, "k"_a = 10, py::kw_only(),
           "filter"_a = py::none(), "with_payload"_a = true, "ef"_a = py::none(), "exact"_a = false,
           "max_distance"_a = py::none(),
           R"(Finds the k nearest records of one vector; returns a list of Hit (id, distance,
payload), nearest first, only as many as were found. Arguments as for search().)")
      .def("get", &PyCollection::Get, "ids"_a,
           R"(Reads records by id. One id gives a Record or None; a sequence or array of ids
gives a list with a Record or None (absent id) for each, in order.)")
      .def("delete", &PyCollection::Delete, "ids"_a = py::none(), py::kw_only(),
           "filter"_a = py::none(),
           R"(Deletes records by id (one id, a sequence or an array), or every record matching
filter=; absent ids are ignored. Returns how many records were deleted. The batch is atomic and
durable like upsert().)")
      .def("count", &PyCollection::Count, "filter"_a = py::none(),
           "Counts the records, or those matching a filter.")
      .def(
          "__len__", [](PyCollection& c) { return c.Count(py::none()); },
          "The number of live records.")
      .def("__contains__", &PyCollection::Contains, "id"_a, "Whether a record has this id.")
      .def("compact", &PyCollection::Compact,
           "Purges deleted records from the index and files, reuses their space and "
           "checkpoints.")
      .def("checkpoint", &PyCollection::Checkpoint,
           "Writes the collection whole and truncates its log, so that reopening is fast "
           "(after a large load).")
      .def("info", &PyCollection::Info,
           "A dict: name, dim, metric, index, m, ef_construction, ef_search, count, deleted, "
           "memory_bytes, mapped_bytes, disk_bytes, log_bytes.")
      .def("__repr__", &PyCollection::Repr);
}

void BindDatabase(py::module_& m) {
  py::class_<PyDatabase>(m, "Database", R"(A database directory of named collections.

Open one with alike.open(path). Use it as a context manager, or call close(): closing waits for
calls in flight, releases the directory's lock and ends every Collection taken from it.)")
      .def(py::init<const std::filesystem::path&, bool, bool, unsigned>(), "path"_a, py::kw_only(),
           "create"_a = true, "sync"_a = true, "threads"_a = 0, "The same as alike.open().")
      .def_property_readonly("path", &PyDatabase::path, "The database directory.")
      .def_property_readonly("closed", &PyDatabase::closed, "Whether close() was called.")
      .def("create_collection", &PyDatabase::CreateCollection, "name"_a, py::kw_only(), "dim"_a,
           "metric"_a = "cosine", "index"_a = "hnsw", "m"_a = 16, "ef_construction"_a = 100,
           "ef_search"_a = 64,
           R"(Creates a collection and returns it.

name: 1-64 letters, digits, '_', '-' or '.'. dim: floats per vector (bits for hamming, a
multiple of 8). metric: 'cosine' (1 - cos; vectors are normalised on the way in), 'l2' (squared
Euclidean), 'ip' (1 - inner product) or 'hamming' (differing bits). index: 'hnsw' (graph,
default), 'flat' (exact scan) or 'sq8' (8-bit scan with exact re-rank). m, ef_construction,
ef_search: HNSW parameters. Raises AlreadyExists if the name is taken.)")
      .def("collection", &PyDatabase::GetCollection, "name"_a,
           "The collection of that name; raises NotFound if there is none.")
      .def("collections", &PyDatabase::ListCollections, "The collections' names, sorted.")
      .def("list_collections", &PyDatabase::ListCollections, "The same as collections().")
      .def("__contains__", &PyDatabase::HasCollection, "name"_a,
           "Whether a collection of that name exists.")
      .def("drop_collection", &PyDatabase::DropCollection, "name"_a,
           "Deletes a collection and its files; raises NotFound if there is none.")
      .def("snapshot", &PyDatabase::Snapshot, "dest"_a,
           "Writes a consistent copy of the whole database into dest (which must not exist) "
           "while the database keeps serving; the copy opens like any database.")
      .def("close", &PyDatabase::Close, "Closes the database; calling it again does nothing.")
      .def("__enter__", [](py::object self) { return self; })
      .def(
          "__exit__",
          [](PyDatabase& db, const py::args&) {
            db.Close();
            return false;
          },
          "Closes the database.")
      .def("__repr__", &PyDatabase::Repr);

  m.def(
      "open",
      [](const std::filesystem::path& path, bool create, bool sync, unsigned threads) {
        return PyDatabase(path, create, sync, threads);
      },
      "path"_a, py::kw_only(), "create"_a = true, "sync"_a = true, "threads"_a = 0,
      R"(Opens the database directory `path` (recovering from any crash), creating it if it is
missing and create=True; returns a Database.

sync: fsync every write before it returns (durable against power loss); False leaves that to
the OS (durable against a process crash only). threads: worker threads for batch upserts and
searches, 0 = all cores. Raises NotFound (no database and create=False), InvalidArgument (the
directory is not an alike database), IOError (the file system failed) or alike.Error (another process has it open).)");
}

}  // namespace
}  // namespace alike::python

PYBIND11_MODULE(_alike, m) {
  namespace ap = alike::python;
  m.doc() = ap::kModuleDoc;
  m.attr("__version__") = ALIKE_VERSION;
  m.attr("NO_ID") = py::int_(ap::kNoId);
  ap::RegisterErrors(m);
  ap::BindHitAndRecord(m);
  ap::BindCollection(m);
  ap::BindDatabase(m);
  ap::BindFaces(m);
  ap::BindLibrary(m);
  ap::BindEmbed(m);
}
