#include "testing/fault_sqlite_vfs.h"

#include <sqlite3.h>

#include <cerrno>

namespace alike::test {

struct FaultSqliteVfs::State {
  std::string name;
  FaultSchedule* schedule;
  sqlite3_vfs* base;  // SQLite's default VFS, which does the work
  sqlite3_vfs vfs;
  sqlite3_io_methods methods;
};

namespace {

using State = FaultSqliteVfs::State;

// A file opened through the VFS: SQLite's handle, then the default VFS's handle of the same file
// right after it (szOsFile makes room for both).
struct FaultFile {
  sqlite3_file handle;  // first: SQLite sees this; pMethods is State::methods
  State* state;
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

FaultFile& Of(sqlite3_file* file) { return *reinterpret_cast<FaultFile*>(file); }
sqlite3_file* Real(sqlite3_file* file) { return Of(file).real(); }
State& StateOf(sqlite3_vfs* vfs) { return *static_cast<State*>(vfs->pAppData); }

// The SQLite code for a call the schedule failed with errno `err`.
int Failure(int err, int io_error) { return err == ENOSPC ? SQLITE_FULL : io_error; }

int Write(sqlite3_file* file, const void* data, int n, sqlite3_int64 offset) {
  sqlite3_file* real = Real(file);
  if (const int err = Of(file).state->schedule->Next("sqlite write")) {
    if (n > 1) real->pMethods->xWrite(real, data, n / 2, offset);  // torn, as a full disk leaves it
    return Failure(err, SQLITE_IOERR_WRITE);
  }
  return real->pMethods->xWrite(real, data, n, offset);
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (const int err = Of(file).state->schedule->Next("sqlite truncate")) {
    return Failure(err, SQLITE_IOERR_TRUNCATE);
  }
  return Real(file)->pMethods->xTruncate(Real(file), size);
}

int Sync(sqlite3_file* file, int) {
  if (const int err = Of(file).state->schedule->Next("sqlite sync")) {
    return Failure(err, SQLITE_IOERR_FSYNC);
  }
  return SQLITE_OK;
}

// The rest pass through to the real file.
sqlite3_io_methods PassingMethods() {
  sqlite3_io_methods m{};
  m.iVersion = 3;
  m.xClose = [](sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); };
  m.xRead = [](sqlite3_file* f, void* data, int n, sqlite3_int64 offset) {
    return Real(f)->pMethods->xRead(Real(f), data, n, offset);
  };
  m.xWrite = Write;
  m.xTruncate = Truncate;
  m.xSync = Sync;
  m.xFileSize = [](sqlite3_file* f, sqlite3_int64* size) {
    return Real(f)->pMethods->xFileSize(Real(f), size);
  };
  m.xLock = [](sqlite3_file* f, int lock) { return Real(f)->pMethods->xLock(Real(f), lock); };
  m.xUnlock = [](sqlite3_file* f, int lock) { return Real(f)->pMethods->xUnlock(Real(f), lock); };
  m.xCheckReservedLock = [](sqlite3_file* f, int* out) {
    return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
  };
  m.xFileControl = [](sqlite3_file* f, int op, void* arg) {
    return Real(f)->pMethods->xFileControl(Real(f), op, arg);
  };
  m.xSectorSize = [](sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); };
  m.xDeviceCharacteristics = [](sqlite3_file* f) {
    return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
  };
  m.xShmMap = [](sqlite3_file* f, int page, int page_size, int extend, void volatile** out) {
    return Real(f)->pMethods->xShmMap(Real(f), page, page_size, extend, out);
  };
  m.xShmLock = [](sqlite3_file* f, int offset, int n, int flags) {
    return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
  };
  m.xShmBarrier = [](sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); };
  m.xShmUnmap = [](sqlite3_file* f, int delete_flag) {
    return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
  };
  m.xFetch = [](sqlite3_file* f, sqlite3_int64 offset, int n, void** out) {
    return Real(f)->pMethods->xFetch(Real(f), offset, n, out);
  };
  m.xUnfetch = [](sqlite3_file* f, sqlite3_int64 offset, void* p) {
    return Real(f)->pMethods->xUnfetch(Real(f), offset, p);
  };
  return m;
}

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  State& state = StateOf(vfs);
  FaultFile& f = Of(file);
  f.state = &state;
  const int rc = state.base->xOpen(state.base, name, f.real(), flags, out_flags);
  // SQLite closes a file whose methods are set, even after a failed open; so must we, through
  // the real file's methods, exactly when the real open set them.
  f.handle.pMethods = f.real()->pMethods != nullptr ? &state.methods : nullptr;
  return rc;
}

}  // namespace

FaultSqliteVfs::FaultSqliteVfs(std::string name, FaultSchedule& schedule)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.name = std::move(name);
  s.schedule = &schedule;
  s.base = sqlite3_vfs_find(nullptr);
  s.methods = PassingMethods();
  sqlite3_vfs& v = s.vfs;
  v = sqlite3_vfs{};
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(FaultFile)) + s.base->szOsFile;
  v.mxPathname = s.base->mxPathname;
  v.zName = s.name.c_str();
  v.pAppData = &s;
  v.xOpen = Open;
  v.xDelete = [](sqlite3_vfs* vfs, const char* path, int sync_dir) {
    return StateOf(vfs).base->xDelete(StateOf(vfs).base, path, sync_dir);
  };
  v.xAccess = [](sqlite3_vfs* vfs, const char* path, int flags, int* out) {
    return StateOf(vfs).base->xAccess(StateOf(vfs).base, path, flags, out);
  };
  v.xFullPathname = [](sqlite3_vfs* vfs, const char* path, int n, char* out) {
    return StateOf(vfs).base->xFullPathname(StateOf(vfs).base, path, n, out);
  };
  v.xDlOpen = [](sqlite3_vfs* vfs, const char* path) {
    return StateOf(vfs).base->xDlOpen(StateOf(vfs).base, path);
  };
  v.xDlError = [](sqlite3_vfs* vfs, int n, char* out) {
    StateOf(vfs).base->xDlError(StateOf(vfs).base, n, out);
  };
  v.xDlSym = [](sqlite3_vfs* vfs, void* handle, const char* symbol) {
    return StateOf(vfs).base->xDlSym(StateOf(vfs).base, handle, symbol);
  };
  v.xDlClose = [](sqlite3_vfs* vfs, void* handle) {
    StateOf(vfs).base->xDlClose(StateOf(vfs).base, handle);
  };
  v.xRandomness = [](sqlite3_vfs* vfs, int n, char* out) {
    return StateOf(vfs).base->xRandomness(StateOf(vfs).base, n, out);
  };
  v.xSleep = [](sqlite3_vfs* vfs, int micros) {
    return StateOf(vfs).base->xSleep(StateOf(vfs).base, micros);
  };
  v.xCurrentTime = [](sqlite3_vfs* vfs, double* out) {
    return StateOf(vfs).base->xCurrentTime(StateOf(vfs).base, out);
  };
  v.xGetLastError = [](sqlite3_vfs* vfs, int n, char* out) {
    return StateOf(vfs).base->xGetLastError(StateOf(vfs).base, n, out);
  };
  v.xCurrentTimeInt64 = [](sqlite3_vfs* vfs, sqlite3_int64* out) {
    return StateOf(vfs).base->xCurrentTimeInt64(StateOf(vfs).base, out);
  };
  sqlite3_vfs_register(&v, /*makeDflt=*/0);
}

FaultSqliteVfs::~FaultSqliteVfs() { sqlite3_vfs_unregister(&state_->vfs); }

const std::string& FaultSqliteVfs::name() const { return state_->name; }

}  // namespace alike::test
