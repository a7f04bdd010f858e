#include "database.h"

#include <algorithm>
#include <limits>

#include "arrays.h"
#include "errors.h"

namespace py = pybind11;

namespace alike::python {
namespace {

// Hits the index can possibly return: at most one per record. Passing the caller's k through
// unclamped would let `k=10**9` size the index's candidate buffers; the padding makes up the rest.
size_t UsefulK(size_t k, const Collection& collection) {
  return std::clamp<size_t>(collection.Count(), 1, k);
}

bool IsSingleId(py::handle ids) {
  if (py::isinstance<py::array>(ids)) return py::reinterpret_borrow<py::array>(ids).ndim() == 0;
  return PyIndex_Check(ids.ptr()) != 0;
}

py::object ToPython(const std::optional<Record>& record, Metric metric) {
  if (!record) return py::none();
  PyRecord out{record->id, {}, ParsePayload(record->payload)};
  if (metric == Metric::kHamming) {
    out.vector = py::array_t<uint8_t>(static_cast<py::ssize_t>(record->binary.size()),
                                      record->binary.data());
  } else {
    out.vector =
        py::array_t<float>(static_cast<py::ssize_t>(record->vector.size()), record->vector.data());
  }
  return py::cast(std::move(out));
}

}  // namespace

PyCollection::PyCollection(std::shared_ptr<OpenDatabase> db,
                           const std::shared_ptr<Collection>& collection)
    : db_(std::move(db)),
      collection_(collection),
      name_(collection->name()),
      options_(collection->options()) {}

template <typename Fn>
auto PyCollection::Use(Fn&& fn) const {
  return db_->Use([&](Database&) {
    const std::shared_ptr<Collection> collection = collection_.lock();
    if (collection == nullptr) {
      throw StatusError(Status::NotFound("collection '" + name_ + "' was dropped"));
    }
    return fn(*collection);
  });
}

SearchOptions PyCollection::MakeSearchOptions(size_t k, py::handle filter,
                                              std::optional<uint32_t> ef, bool exact,
                                              std::optional<float> max_distance) const {
  CheckK(k);
  SearchOptions options;
  options.k = k;
  options.filter = FilterText(filter);
  options.ef = ef.value_or(0);
  options.exact = exact;
  options.max_distance = max_distance;
  return options;
}

void PyCollection::Upsert(py::handle ids, py::handle vectors, py::handle payloads) {
  const auto id_array = IdArray(ids, /*allow_scalar=*/false);
  const VectorRows rows(vectors, options_.metric, /*allow_single=*/false);
  const std::span<const uint64_t> id_span = IdSpan(id_array);
  if (id_span.size() != rows.rows()) {
    ThrowInvalidArgument("ids has " + std::to_string(id_span.size()) + " items for " +
                         std::to_string(rows.rows()) + " vectors");
  }
  const std::vector<std::string> texts = PayloadTexts(payloads, rows.rows());
  std::vector<RecordView> views(rows.rows());
  for (size_t i = 0; i < views.size(); ++i) {
    if (id_span[i] == kNoId) {
      ThrowInvalidArgument("id " + std::to_string(kNoId) + " is reserved (alike.NO_ID)");
    }
    views[i] = {id_span[i], rows.floats(i), rows.bytes(i), texts[i]};
  }
  py::gil_scoped_release release;
  Use([&](Collection& c) { ThrowIfError(c.UpsertViews(views)); });
}

py::tuple PyCollection::Search(py::handle queries, size_t k, py::handle filter,
                               std::optional<uint32_t> ef, bool exact,
                               std::optional<float> max_distance) {
  SearchOptions options = MakeSearchOptions(k, filter, ef, exact, max_distance);
  options.with_payload = false;
  const VectorRows rows(queries, options_.metric, /*allow_single=*/true);
  std::vector<Query> batch(rows.rows());
  for (size_t i = 0; i < batch.size(); ++i) batch[i] = rows.query(i);
  const auto shape = {static_cast<py::ssize_t>(batch.size()), static_cast<py::ssize_t>(k)};
  py::array_t<uint64_t> ids(shape);
  py::array_t<float> distances(shape);
  uint64_t* const id_out = ids.mutable_data();
  float* const distance_out = distances.mutable_data();
  {
    py::gil_scoped_release release;
    const auto hits = Use([&](Collection& c) {
      options.k = UsefulK(k, c);
      return ValueOrThrow(c.SearchBatch(batch, options));
    });
    for (size_t q = 0; q < hits.size(); ++q) {
      for (size_t j = 0; j < k; ++j) {
        const bool found = j < hits[q].size();
        id_out[q * k + j] = found ? hits[q][j].id : kNoId;
        distance_out[q * k + j] =
            found ? hits[q][j].distance : std::numeric_limits<float>::infinity();
      }
    }
  }
  return py::make_tuple(ids, distances);
}

std::vector<PyHit> PyCollection::QueryHits(py::handle vector, size_t k, py::handle filter,
                                           bool with_payload, std::optional<uint32_t> ef,
                                           bool exact, std::optional<float> max_distance) {
  SearchOptions options = MakeSearchOptions(k, filter, ef, exact, max_distance);
  options.with_payload = with_payload;
  const VectorRows rows(vector, options_.metric, /*allow_single=*/true);
  if (rows.rows() != 1) {
    ThrowInvalidArgument("query() takes one vector, got " + std::to_string(rows.rows()) +
                         "; search() takes a batch");
  }
  std::vector<Hit> hits;
  {
    py::gil_scoped_release release;
    hits = Use([&](Collection& c) {
      options.k = UsefulK(k, c);
      return ValueOrThrow(c.Search(rows.query(0), options));
    });
  }
  std::vector<PyHit> out;
  out.reserve(hits.size());
  for (const Hit& hit : hits) {
    out.push_back({hit.id, hit.distance, with_payload ? ParsePayload(hit.payload) : py::none()});
  }
  return out;
}

py::object PyCollection::Get(py::handle ids) {
  const bool single = IsSingleId(ids);
  const auto id_array = IdArray(ids, /*allow_scalar=*/true);
  const std::span<const uint64_t> id_span = IdSpan(id_array);
  std::vector<std::optional<Record>> records(id_span.size());
  {
    py::gil_scoped_release release;
    Use([&](Collection& c) {
      for (size_t i = 0; i < id_span.size(); ++i) {
        Result<Record> record = c.Get(id_span[i]);
        if (record.ok()) {
          records[i] = std::move(record).value();
        } else if (record.status().code() != Status::Code::kNotFound) {
          ThrowIfError(record.status());
        }
      }
    });
  }
  if (single) return ToPython(records.front(), options_.metric);
  py::list out;
  for (const auto& record : records) out.append(ToPython(record, options_.metric));
  return out;
}

uint64_t PyCollection::Delete(py::handle ids, py::handle filter) {
  if (ids.is_none() == filter.is_none()) {
    ThrowInvalidArgument("delete() takes either ids or filter=");
  }
  if (!ids.is_none()) {
    const auto id_array = IdArray(ids, /*allow_scalar=*/true);
    const std::span<const uint64_t> id_span = IdSpan(id_array);
    py::gil_scoped_release release;
    return Use([&](Collection& c) { return ValueOrThrow(c.Delete(id_span)); });
  }
  const std::string text = FilterText(filter);
  py::gil_scoped_release release;
  return Use([&](Collection& c) { return ValueOrThrow(c.DeleteWhere(text)); });
}

uint64_t PyCollection::Count(py::handle filter) {
  if (filter.is_none()) return Use([](Collection& c) { return c.Count(); });
  const std::string text = FilterText(filter);
  py::gil_scoped_release release;
  return Use([&](Collection& c) { return ValueOrThrow(c.CountWhere(text)); });
}

bool PyCollection::Contains(py::handle id) {
  if (py::isinstance<py::array>(id) || PyIndex_Check(id.ptr()) == 0) return false;
  uint64_t value = 0;
  try {
    value = py::reinterpret_steal<py::int_>(PyNumber_Index(id.ptr())).cast<uint64_t>();
  } catch (const py::cast_error&) {
    return false;  // negative or beyond 64 bits: no record has that id
  }
  return Use([&](Collection& c) {
    const Result<Record> record = c.Get(value);
    if (record.ok()) return true;
    if (record.status().code() == Status::Code::kNotFound) return false;
    throw StatusError(record.status());
  });
}

void PyCollection::Compact() {
  py::gil_scoped_release release;
  Use([](Collection& c) { ThrowIfError(c.Compact()); });
}

void PyCollection::Checkpoint() {
  py::gil_scoped_release release;
  Use([](Collection& c) { ThrowIfError(c.Checkpoint()); });
}

py::dict PyCollection::Info() {
  const CollectionInfo info = Use([](Collection& c) { return c.Info(); });
  py::dict out;
  out["name"] = info.name;
  out["dim"] = info.options.dimension;
  out["metric"] = MetricName(info.options.metric);
  out["index"] = IndexKindName(info.options.index);
  out["m"] = info.options.hnsw.m;
  out["ef_construction"] = info.options.hnsw.ef_construction;
  out["ef_search"] = info.options.hnsw.ef_search;
  out["count"] = info.count;
  out["deleted"] = info.deleted;
  out["memory_bytes"] = info.memory_bytes;
  out["mapped_bytes"] = info.mapped_bytes;
  out["disk_bytes"] = info.disk_bytes;
  out["log_bytes"] = info.log_bytes;
  return out;
}

std::string PyCollection::Repr() const {
  return "<alike.Collection '" + name_ + "' dim=" + std::to_string(options_.dimension) +
         " metric=" + MetricName(options_.metric) + " index=" + IndexKindName(options_.index) + ">";
}

PyDatabase::PyDatabase(const std::filesystem::path& path, bool create, bool sync,
                       unsigned threads) {
  DatabaseOptions options;
  options.create_if_missing = create;
  options.sync = sync ? SyncPolicy::kAlways : SyncPolicy::kNone;
  options.threads = threads;
  const std::string dir = path.string();
  std::unique_ptr<Database> db;
  {
    py::gil_scoped_release release;
    db = ValueOrThrow(Database::Open(dir, options));
  }
  db_ = std::make_shared<OpenDatabase>(std::move(db), "database", dir);
}

PyCollection PyDatabase::CreateCollection(const std::string& name, uint32_t dim,
                                          const std::string& metric, const std::string& index,
                                          uint32_t m, uint32_t ef_construction,
                                          uint32_t ef_search) {
  CollectionOptions options;
  options.dimension = dim;
  options.metric = ValueOrThrow(ParseMetric(metric));
  options.index = ValueOrThrow(ParseIndexKind(index));
  options.hnsw = {m, ef_construction, ef_search};
  py::gil_scoped_release release;
  auto collection =
      db_->Use([&](Database& db) { return ValueOrThrow(db.CreateCollection(name, options)); });
  return PyCollection(db_, collection);
}

PyCollection PyDatabase::GetCollection(const std::string& name) {
  auto collection = db_->Use([&](Database& db) { return ValueOrThrow(db.GetCollection(name)); });
  return PyCollection(db_, collection);
}

std::vector<std::string> PyDatabase::ListCollections() {
  return db_->Use([](Database& db) { return db.ListCollections(); });
}

bool PyDatabase::HasCollection(const std::string& name) {
  return db_->Use([&](Database& db) { return db.GetCollection(name).ok(); });
}

void PyDatabase::DropCollection(const std::string& name) {
  py::gil_scoped_release release;
  db_->Use([&](Database& db) { ThrowIfError(db.DropCollection(name)); });
}

void PyDatabase::Snapshot(const std::filesystem::path& dest) {
  const std::string dir = dest.string();
  py::gil_scoped_release release;
  db_->Use([&](Database& db) { ThrowIfError(db.Snapshot(dir)); });
}

void PyDatabase::Close() {
  py::gil_scoped_release release;
  db_->Close();
}

std::string PyDatabase::Repr() const {
  return "<alike.Database '" + db_->path() + "'" + (db_->closed() ? " (closed)" : "") + ">";
}

}  // namespace alike::python
