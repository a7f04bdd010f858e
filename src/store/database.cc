// The database: a directory of collections, guarded by a lock file.
//
//   <dir>/ALIKE                  {"format": "alike-database", "version": 1}
//   <dir>/LOCK                   flock'ed while open, so two processes never share a database
//   <dir>/collections/<name>/    one StoredCollection each
//
// Collections are created (or restored from a snapshot) under a temporary name and renamed into
// place, and dropped by renaming them away before deleting, so a crash never leaves a half-made
// or half-deleted collection under a real name.
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "alike/vector_db.h"
#include "store/open_database.h"
#include "store/stored_collection.h"
#include "util/file.h"

namespace alike {
namespace {

constexpr char kFormatName[] = "alike-database";
constexpr int kFormatVersion = 1;

std::string ManifestText() {
  return nlohmann::json{{"format", kFormatName}, {"version", kFormatVersion}}.dump() + "\n";
}

Status CheckManifest(const std::string& dir) {
  const std::string path = dir + "/ALIKE";
  auto text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  // Compared as JSON: value("format", "") would throw on a manifest whose format is a number.
  const auto format = j.is_object() ? j.find("format") : j.end();
  if (format == j.end() || *format != kFormatName) {
    return Status::InvalidArgument(path + " was not written by alike: " + dir +
                                   " is not an alike database");
  }
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer()) {
    return Status::Corruption(path + ": missing format version");
  }
  if (version->get<int>() > kFormatVersion) {
    return Status::NotSupported(dir + " was written by a newer alike (database format " +
                                std::to_string(version->get<int>()) + "; this build reads up to " +
                                std::to_string(kFormatVersion) + ")");
  }
  return Status::OK();
}

Status ValidateCollectionName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64 && name[0] != '.';
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
  if (!ok) {
    return Status::InvalidArgument("invalid collection name '" + name +
                                   "': use 1-64 letters, digits, '_', '-' or '.', not starting "
                                   "with '.'");
  }
  return Status::OK();
}

class DatabaseImpl : public Database {
 public:
  DatabaseImpl(std::string dir, const DatabaseOptions& options, std::unique_ptr<FileLock> lock,
               FileSystem& fs)
      : dir_(std::move(dir)), options_(options), lock_(std::move(lock)), fs_(fs) {}

  Status LoadCollections() {
    const std::string root = CollectionsDir();
    ALIKE_RETURN_IF_ERROR(CreateDir(root, fs_));
    auto names = ListDir(root);
    if (!names.ok()) return names.status();
    for (const auto& name : *names) {
      if (name[0] == '.') {
        // Leftovers of a creation or drop that a crash interrupted.
        ALIKE_RETURN_IF_ERROR(RemoveAll(root + "/" + name, fs_));
        continue;
      }
      auto c = store::StoredCollection::Open(root + "/" + name, name, options_, fs_);
      if (!c.ok()) return c.status();
      collections_[name] = *c;
    }
    return Status::OK();
  }

  Result<std::shared_ptr<Collection>> CreateCollection(const std::string& name,
                                                       const CollectionOptions& options) override {
    ALIKE_RETURN_IF_ERROR(ValidateCollectionName(name));
    ALIKE_RETURN_IF_ERROR(store::StoredCollection::ValidateOptions(options));
    std::lock_guard lock(mutex_);
    if (collections_.count(name)) {
      return Status::AlreadyExists("collection '" + name + "' already exists");
    }
    const std::string tmp = CollectionsDir() + "/.creating-" + name;
    ALIKE_RETURN_IF_ERROR(RemoveAll(tmp, fs_));
    {
      auto made = store::StoredCollection::Create(tmp, name, options, options_, fs_);
      if (!made.ok()) return made.status();
      made->get()->MarkDropped();  // closes its log before the directory moves
    }
    return InstallLocked(tmp, name);
  }

  Result<std::shared_ptr<Collection>> GetCollection(const std::string& name) const override {
    std::lock_guard lock(mutex_);
    auto it = collections_.find(name);
    if (it == collections_.end()) {
      return Status::NotFound("no collection '" + name + "' in " + dir_);
    }
    return std::shared_ptr<Collection>(it->second);
  }

  Status DropCollection(const std::string& name) override {
    std::lock_guard lock(mutex_);
    auto it = collections_.find(name);
    if (it == collections_.end())
      return Status::NotFound("no collection '" + name + "' in " + dir_);
    auto doomed = MoveAwayLocked(it);
    if (!doomed.ok()) return doomed.status();
    ALIKE_RETURN_IF_ERROR(SyncDir(CollectionsDir(), fs_));
    return RemoveAll(*doomed, fs_);
  }

  std::vector<std::string> ListCollections() const override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> names;
    for (const auto& [name, c] : collections_) names.push_back(name);
    return names;
  }

  Status Snapshot(const std::string& dest_dir) override {
    std::lock_guard lock(mutex_);
    return WriteSnapshot(collections_, dest_dir);
  }

  Status SnapshotCollection(const std::string& name, const std::string& dest_dir) override {
    Collections one;
    {
      std::lock_guard lock(mutex_);
      auto it = collections_.find(name);
      if (it == collections_.end()) {
        return Status::NotFound("no collection '" + name + "' in " + dir_);
      }
      one.insert(*it);
    }
    // Dropped meanwhile, its directory is gone and the copy fails.
    return WriteSnapshot(one, dest_dir);
  }

  Result<std::shared_ptr<Collection>> RestoreCollection(
      const std::string& name, const std::string& snapshot_dir,
      const std::function<Status(const Collection&)>& accept) override {
    ALIKE_RETURN_IF_ERROR(ValidateCollectionName(name));
    const std::string what = "restore collection '" + name + "' from " + snapshot_dir;
    if (!FileExists(snapshot_dir + "/ALIKE")) {
      return Status::InvalidArgument(what + ": not a database snapshot (no ALIKE manifest)");
    }
    ALIKE_RETURN_IF_ERROR(CheckManifest(snapshot_dir).WithContext(what));
    const std::string source = snapshot_dir + "/collections/" + name;
    if (!FileExists(source)) return Status::NotFound(what + ": the snapshot holds no such one");
    std::lock_guard lock(mutex_);
    // Under a name a reopen removes, until it is checked and renamed into place.
    const std::string staged = CollectionsDir() + "/.restoring-" + name;
    ALIKE_RETURN_IF_ERROR(RemoveAll(staged, fs_));
    ALIKE_RETURN_IF_ERROR(RenameFile(source, staged, fs_).WithContext(what));
    const Status checked = [&] {
      auto c = store::StoredCollection::Open(staged, name, options_, fs_);
      if (!c.ok()) return c.status();
      const Status accepted = accept ? accept(**c) : Status::OK();
      c->get()->MarkDropped();  // closes its log before the directory moves
      return accepted;
    }();
    if (!checked.ok()) {
      (void)RemoveAll(staged, fs_);  // best effort: a reopen removes it too
      return checked.WithContext(what);
    }
    if (auto it = collections_.find(name); it != collections_.end()) {
      auto doomed = MoveAwayLocked(it);
      if (!doomed.ok()) {
        (void)RemoveAll(staged, fs_);
        return doomed.status().WithContext(what);
      }
      auto installed = InstallLocked(staged, name);
      if (!installed.ok()) return installed.status().WithContext(what);
      ALIKE_RETURN_IF_ERROR(RemoveAll(*doomed, fs_));
      return installed;
    }
    return InstallLocked(staged, name);
  }
  const std::string& path() const override { return dir_; }

 private:
  using Collections = std::map<std::string, std::shared_ptr<store::StoredCollection>>;

  std::string CollectionsDir() const { return dir_ + "/collections"; }

  // Copies `collections` into the database directory `dest_dir` (which must not exist), holding
  // every one's writers at once, so the copy is one moment of them all.
  Status WriteSnapshot(const Collections& collections, const std::string& dest_dir) {
    if (FileExists(dest_dir))
      return Status::AlreadyExists("snapshot target " + dest_dir + " exists");
    // In name order, like any other multi-lock taker would.
    std::vector<std::unique_lock<std::mutex>> held;
    for (const auto& [name, c] : collections) held.push_back(c->HoldWrites());
    const std::string tmp = dest_dir + ".partial";
    ALIKE_RETURN_IF_ERROR(RemoveAll(tmp, fs_));
    const Status copied = [&] {
      ALIKE_RETURN_IF_ERROR(CreateDir(tmp + "/collections", fs_));
      ALIKE_RETURN_IF_ERROR(WriteFileAtomically(tmp + "/ALIKE", ManifestText(), fs_));
      for (const auto& [name, c] : collections) {
        ALIKE_RETURN_IF_ERROR(c->CopyFilesTo(tmp + "/collections/" + name));
      }
      ALIKE_RETURN_IF_ERROR(SyncDir(tmp + "/collections", fs_));
      ALIKE_RETURN_IF_ERROR(RenameFile(tmp, dest_dir, fs_));
      return SyncDir(ParentDir(dest_dir), fs_);
    }();
    if (!copied.ok()) {
      // A failed snapshot leaves nothing that could pass for one: not the partial copy, and not
      // a renamed one whose directory sync failed (whether it would survive is unknown).
      // Best effort: the error that matters is the one returned.
      (void)RemoveAll(tmp, fs_);
      if (FileExists(dest_dir)) (void)RemoveAll(dest_dir, fs_);
    }
    return copied;
  }

  // Renames the closed collection directory `staged` to collection `name` and opens it there.
  // Callers hold mutex_, and `name` is not in collections_.
  Result<std::shared_ptr<Collection>> InstallLocked(const std::string& staged,
                                                    const std::string& name) {
    const std::string final_dir = CollectionsDir() + "/" + name;
    // A directory under the name that this open database does not list can only be what an
    // earlier installation left when it failed to open the collection after its rename: never
    // handed out, so never written. It goes, or this rename would fail ("Directory not empty")
    // and hide that first error's cause until the database is reopened.
    ALIKE_RETURN_IF_ERROR(RemoveAll(final_dir, fs_));
    ALIKE_RETURN_IF_ERROR(RenameFile(staged, final_dir, fs_));
    // From the rename on the collection is there, as a reopen would find it, so it joins this
    // database even if the sync fails (which makes the installation's durability unknown).
    auto c = store::StoredCollection::Open(final_dir, name, options_, fs_);
    if (!c.ok()) return c.status();
    collections_[name] = *c;
    ALIKE_RETURN_IF_ERROR(SyncDir(CollectionsDir(), fs_));
    return std::shared_ptr<Collection>(*c);
  }

  // Takes the collection out of this database: renames its directory to a name a reopen removes
  // (returned, for the caller to delete once the rename is synced). Callers hold mutex_.
  Result<std::string> MoveAwayLocked(Collections::iterator it) {
    const std::string doomed = CollectionsDir() + "/.dropping-" + it->first;
    ALIKE_RETURN_IF_ERROR(RemoveAll(doomed, fs_));
    {
      // Writers wait while the directory moves. Should the move fail, nothing is dropped and the
      // collection goes on serving, as it will after a reopen.
      auto writes = it->second->HoldWrites();
      ALIKE_RETURN_IF_ERROR(RenameFile(it->second->dir(), doomed, fs_));
    }
    // From here the collection is gone under its name, so it goes from this database too, even
    // if the directory sync fails.
    it->second->MarkDropped();
    collections_.erase(it);
    return doomed;
  }

  const std::string dir_;
  const DatabaseOptions options_;
  std::unique_ptr<FileLock> lock_;
  FileSystem& fs_;
  mutable std::mutex mutex_;  // guards collections_
  Collections collections_;
};

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& dir,
                                                 const DatabaseOptions& options) {
  return store::OpenDatabase(dir, options, PosixFileSystem());
}

Result<std::unique_ptr<Database>> store::OpenDatabase(const std::string& dir,
                                                      const DatabaseOptions& options,
                                                      FileSystem& fs) {
  if (dir.empty()) return Status::InvalidArgument("database path is empty");
  const bool exists = FileExists(dir);
  if (!exists && !options.create_if_missing) {
    return Status::NotFound("no database at " + dir);
  }
  if (exists) {
    auto entries = ListDir(dir);
    if (!entries.ok()) return entries.status().WithContext("open database");
    if (FileExists(dir + "/ALIKE")) {
      ALIKE_RETURN_IF_ERROR(CheckManifest(dir));
    } else if (!entries->empty()) {
      return Status::InvalidArgument(dir +
                                     " is not an alike database (it has files but no ALIKE "
                                     "manifest)");
    } else if (!options.create_if_missing) {
      return Status::NotFound("no database at " + dir);
    }
  }
  ALIKE_RETURN_IF_ERROR(CreateDir(dir, fs));
  if (!FileExists(dir + "/ALIKE")) {
    ALIKE_RETURN_IF_ERROR(WriteFileAtomically(dir + "/ALIKE", ManifestText(), fs));
  }
  auto lock = FileLock::Acquire(dir + "/LOCK");
  if (!lock.ok()) return lock.status();
  auto db = std::make_unique<DatabaseImpl>(dir, options, std::move(*lock), fs);
  ALIKE_RETURN_IF_ERROR(db->LoadCollections());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace alike
