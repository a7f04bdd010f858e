#include "util/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace alike {
namespace {

Status MapError(const char* op, const std::string& path, int err) {
  return Status::IOError(std::string(op) + " " + path + ": " +
                         std::error_code(err, std::generic_category()).message());
}

}  // namespace

Result<std::unique_ptr<MappedFile>> MappedFile::Map(const std::string& path, uint64_t offset,
                                                    uint64_t length) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MapError("open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return MapError("stat", path, err);
  }
  const auto file_size = static_cast<uint64_t>(st.st_size);
  if (offset > file_size || length > file_size - offset) {
    ::close(fd);
    return Status::Corruption(path + ": range to map ends past the end of the file");
  }
  if (length == 0) {
    ::close(fd);
    return std::unique_ptr<MappedFile>(new MappedFile(nullptr, 0, nullptr, 0));
  }
  const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t base_offset = offset / page * page;
  const size_t base_size = static_cast<size_t>(length + (offset - base_offset));
  void* base =
      ::mmap(nullptr, base_size, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(base_offset));
  const int err = errno;
  // The map holds its own reference to the file.
  ::close(fd);
  if (base == MAP_FAILED) return MapError("mmap", path, err);
  ::madvise(base, base_size, MADV_RANDOM);  // a hint; failure changes nothing but speed
  const auto* data = static_cast<const uint8_t*>(base) + (offset - base_offset);
  return std::unique_ptr<MappedFile>(
      new MappedFile(base, base_size, data, static_cast<size_t>(length)));
}

MappedFile::~MappedFile() {
  if (base_ != nullptr) ::munmap(base_, base_size_);
}

}  // namespace alike
