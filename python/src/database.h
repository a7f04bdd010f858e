// The objects behind alike.Database, alike.Collection, alike.Hit and alike.Record. A Database
// and the Collections taken from it share one OpenDatabase (closable.h says how it is locked).
#ifndef ALIKE_PYTHON_DATABASE_H_
#define ALIKE_PYTHON_DATABASE_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alike/vector_db.h"
#include "closable.h"

namespace alike::python {

using OpenDatabase = Closable<Database>;

struct PyHit {
  uint64_t id = 0;
  float distance = 0;
  pybind11::object payload;  // dict, or None when not asked for
};

struct PyRecord {
  uint64_t id = 0;
  pybind11::array vector;  // float32 (d,), or uint8 (d/8,) for Hamming
  pybind11::object payload;
};

class PyCollection {
 public:
  PyCollection(std::shared_ptr<OpenDatabase> db, const std::shared_ptr<Collection>& collection);

  const std::string& name() const { return name_; }
  const CollectionOptions& options() const { return options_; }

  void Upsert(pybind11::handle ids, pybind11::handle vectors, pybind11::handle payloads);
  pybind11::tuple Search(pybind11::handle queries, size_t k, pybind11::handle filter,
                         std::optional<uint32_t> ef, bool exact, std::optional<float> max_distance);
  std::vector<PyHit> QueryHits(pybind11::handle vector, size_t k, pybind11::handle filter,
                               bool with_payload, std::optional<uint32_t> ef, bool exact,
                               std::optional<float> max_distance);
  pybind11::object Get(pybind11::handle ids);
  uint64_t Delete(pybind11::handle ids, pybind11::handle filter);
  uint64_t Count(pybind11::handle filter);
  bool Contains(pybind11::handle id);
  void Compact();
  void Checkpoint();
  pybind11::dict Info();
  std::string Repr() const;

 private:
  // Runs fn(Collection&) with the database held open; throws if the database was closed or the
  // collection dropped.
  template <typename Fn>
  auto Use(Fn&& fn) const;
  SearchOptions MakeSearchOptions(size_t k, pybind11::handle filter, std::optional<uint32_t> ef,
                                  bool exact, std::optional<float> max_distance) const;

  std::shared_ptr<OpenDatabase> db_;
  // Weak: the database owns its collections; close() and drop_collection() end them.
  std::weak_ptr<Collection> collection_;
  const std::string name_;
  const CollectionOptions options_;
};

class PyDatabase {
 public:
  PyDatabase(const std::filesystem::path& path, bool create, bool sync, unsigned threads);

  PyCollection CreateCollection(const std::string& name, uint32_t dim, const std::string& metric,
                                const std::string& index, uint32_t m, uint32_t ef_construction,
                                uint32_t ef_search);
  PyCollection GetCollection(const std::string& name);
  std::vector<std::string> ListCollections();
  bool HasCollection(const std::string& name);
  void DropCollection(const std::string& name);
  void Snapshot(const std::filesystem::path& dest);
  void Close();
  bool closed() const { return db_->closed(); }
  const std::string& path() const { return db_->path(); }
  std::string Repr() const;

 private:
  std::shared_ptr<OpenDatabase> db_;
};

}  // namespace alike::python

#endif  // ALIKE_PYTHON_DATABASE_H_
