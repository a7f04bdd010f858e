// The catalog's faces and persons: which person each face of the "face" space shows.
#include "library/catalog.h"

namespace alike::library {
namespace {

constexpr const char* kDeleteEmptyPersons =
    "DELETE FROM persons WHERE NOT EXISTS (SELECT 1 FROM faces WHERE person_id = persons.id)";

}  // namespace

Result<std::vector<FaceRow>> Catalog::Faces() const {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare("SELECT vector_id, image_id, person_id FROM faces ORDER BY vector_id");
  if (!stmt.ok()) return stmt.status();
  std::vector<FaceRow> rows;
  ALIKE_RETURN_IF_ERROR(ForEachRow(*stmt, [&](Statement& s) {
    rows.push_back({static_cast<uint64_t>(s.Int(0)), static_cast<uint64_t>(s.Int(1)),
                    static_cast<uint64_t>(s.Int(2))});
  }));
  return rows;
}

Result<std::vector<PersonRow>> Catalog::Persons() const {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare("SELECT id, coalesce(name, '') FROM persons ORDER BY id");
  if (!stmt.ok()) return stmt.status();
  std::vector<PersonRow> rows;
  ALIKE_RETURN_IF_ERROR(ForEachRow(*stmt, [&](Statement& s) {
    rows.push_back({static_cast<uint64_t>(s.Int(0)), s.Text(1)});
  }));
  return rows;
}

Result<std::optional<uint64_t>> Catalog::FindPerson(const std::string& name) const {
  std::lock_guard lock(mu_);
  return LookUpId(*db_, "SELECT id FROM persons WHERE name = ?1", name);
}

Result<std::optional<PersonRow>> Catalog::PersonOfFace(uint64_t vector_id) const {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare(
      "SELECT persons.id, coalesce(persons.name, '') FROM faces JOIN persons "
      "ON persons.id = faces.person_id WHERE faces.vector_id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, static_cast<int64_t>(vector_id));
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<PersonRow>();
  return std::optional<PersonRow>(PersonRow{static_cast<uint64_t>(stmt->Int(0)), stmt->Text(1)});
}

Result<std::vector<uint64_t>> Catalog::FacesOfPerson(uint64_t person_id) const {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare("SELECT vector_id FROM faces WHERE person_id = ?1 ORDER BY vector_id");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, static_cast<int64_t>(person_id));
  std::vector<uint64_t> ids;
  ALIKE_RETURN_IF_ERROR(ForEachRow(*stmt, [&](Statement& s) { ids.push_back(s.Int(0)); }));
  return ids;
}

Status Catalog::AssignFaces(std::span<const FaceAssignment> faces, size_t new_persons,
                            std::span<const uint64_t> gone) {
  std::lock_guard lock(mu_);
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status();
  auto create = db_->Prepare("INSERT INTO persons(name) VALUES(NULL)");
  auto upsert = db_->Prepare(
      "INSERT INTO faces(vector_id, image_id, person_id) VALUES(?1, ?2, ?3) "
      "ON CONFLICT(vector_id) DO UPDATE SET image_id = ?2, person_id = ?3");
  auto remove = db_->Prepare("DELETE FROM faces WHERE vector_id = ?1");
  if (!create.ok()) return create.status();
  if (!upsert.ok()) return upsert.status();
  if (!remove.ok()) return remove.status();
  std::vector<int64_t> created;
  for (size_t i = 0; i < new_persons; ++i) {
    ALIKE_RETURN_IF_ERROR(create->Run());
    created.push_back(db_->LastInsertId());
  }
  for (const FaceAssignment& f : faces) {
    if (!f.person && f.new_person >= created.size()) {
      return Status::InvalidArgument("face " + std::to_string(f.vector_id) +
                                     " joins a person that was not created");
    }
    const int64_t person = f.person ? static_cast<int64_t>(*f.person) : created[f.new_person];
    upsert->Bind(1, static_cast<int64_t>(f.vector_id))
        .Bind(2, static_cast<int64_t>(f.image_id))
        .Bind(3, person);
    ALIKE_RETURN_IF_ERROR(upsert->Run());
  }
  for (uint64_t id : gone) {
    remove->Bind(1, static_cast<int64_t>(id));
    ALIKE_RETURN_IF_ERROR(remove->Run());
  }
  ALIKE_RETURN_IF_ERROR(db_->Exec(kDeleteEmptyPersons));
  return txn->Commit();
}

Result<uint64_t> Catalog::NamePerson(uint64_t id, const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("a person's name cannot be empty");
  std::lock_guard lock(mu_);
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status();
  auto exists = db_->Prepare("SELECT 1 FROM persons WHERE id = ?1");
  if (!exists.ok()) return exists.status();
  exists->Bind(1, static_cast<int64_t>(id));
  auto row = exists->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no person " + std::to_string(id));
  auto holder = LookUpId(*db_, "SELECT id FROM persons WHERE name = ?1", name);
  if (!holder.ok()) return holder.status();
  uint64_t named = id;
  if (*holder && **holder != id) {
    named = **holder;
    auto move = db_->Prepare("UPDATE faces SET person_id = ?1 WHERE person_id = ?2");
    if (!move.ok()) return move.status();
    move->Bind(1, static_cast<int64_t>(named)).Bind(2, static_cast<int64_t>(id));
    ALIKE_RETURN_IF_ERROR(move->Run());
    ALIKE_RETURN_IF_ERROR(db_->Exec(kDeleteEmptyPersons));
  } else {
    auto rename = db_->Prepare("UPDATE persons SET name = ?2 WHERE id = ?1");
    if (!rename.ok()) return rename.status();
    rename->Bind(1, static_cast<int64_t>(id)).Bind(2, name);
    ALIKE_RETURN_IF_ERROR(rename->Run());
  }
  ALIKE_RETURN_IF_ERROR(txn->Commit());
  return named;
}

Status Catalog::ForgetFaces(std::span<const uint64_t> vector_ids) {
  return AssignFaces({}, 0, vector_ids);
}

Status Catalog::ForgetAllFaces() {
  std::lock_guard lock(mu_);
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status();
  ALIKE_RETURN_IF_ERROR(db_->Exec("DELETE FROM faces; DELETE FROM persons;"));
  return txn->Commit();
}

Status Catalog::Vacuum() {
  std::lock_guard lock(mu_);
  return db_->Exec("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);");
}

}  // namespace alike::library
