// Reads an image file's bytes for decoding, turning every way a path can fail to be a readable
// regular file (missing, directory, symlink loop, no permission, device or FIFO, empty, too
// large) into a one-line Status that starts with the path.
//
// Thread-safety: free function; safe to call concurrently.
#ifndef ALIKE_IMAGE_IMAGE_FILE_H_
#define ALIKE_IMAGE_IMAGE_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "alike/status.h"

namespace alike::image {

struct FileBytes {
  std::vector<uint8_t> bytes;  // The first `prefix` bytes, or the whole file.
  uint64_t file_size = 0;
};

// Reads the whole file, or only its first `prefix` bytes when prefix > 0 (enough for a header).
// Refuses files above max_bytes before reading them.
Result<FileBytes> ReadImageFile(const std::string& path, uint64_t max_bytes, uint64_t prefix = 0);

}  // namespace alike::image

#endif  // ALIKE_IMAGE_IMAGE_FILE_H_
