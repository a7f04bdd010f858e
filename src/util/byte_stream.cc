#include "util/byte_stream.h"

#include <cstring>

namespace alike {

Status StringSource::Read(void* data, size_t size) {
  if (size > data_.size() - pos_) {
    return Status::Corruption("unexpected end of data: wanted " + std::to_string(size) +
                              " bytes, " + std::to_string(data_.size() - pos_) + " left");
  }
  if (size > 0) std::memcpy(data, data_.data() + pos_, size);
  pos_ += size;
  return Status::OK();
}

}  // namespace alike
