// Readers for the vector files that `alike vectors upsert` and `alike vectors search` accept.
//
//   fvecs  repeated [int32 d][d float32]            (the TEXMEX / ANN benchmark format)
//   bvecs  repeated [int32 d][d uint8]              components 0..255, or packed bits
//   ivecs  repeated [int32 d][d int32]              ground-truth files; read as floats
//   npy    NumPy .npy v1/v2/v3, 2-D (rows) or 1-D (one vector), C order;
//          dtypes <f4, <f8, <i4, <i8, |u1 (|u1 rows may be packed bits)
//   jsonl  one object a line: {"id": 7, "vector": [..], "payload": {..}}
//          or {"id": 7, "binary": "a1ff..", "payload": {..}} for binary vectors
//
// Files are streamed in batches, so a multi-gigabyte file never sits in memory whole. Ids are
// first_id + the record's position (0-based, counting records, not blank lines); a jsonl "id"
// overrides that for its line.
//
// Binary (Hamming) collections take packed bytes, most significant bit first: the bytes of a
// bvecs or |u1 npy row, or the hex string of a jsonl line, are used as the code unchanged. Their
// dimension is counted in bits (8 per byte), as CollectionOptions::dimension counts it.
//
// Errors name the file and where in it: "<path>: vector 17: ..." for the binary formats
// (vectors and components counted from 0, like row indices) and "<path> line 3: ..." for jsonl
// (lines counted from 1, as editors do). The code says whose the problem is:
//   kCorruption: the bytes are not the format they claim: truncated, bad npy magic or header,
//     malformed JSON, an absurd or changing *vecs dimension;
//   kInvalidArgument: well-formed, but alike cannot use it: unknown format, unsupported dtype,
//     Fortran order, missing or mistyped fields, NaN or infinite components, bad hex, jsonl
//     vectors of differing lengths, float data for a binary collection or the reverse;
//   kNotFound / kIOError: the file itself.
//
// Thread-safety: a reader is used by one thread at a time.
#ifndef ALIKE_CLI_VECTOR_FILE_H_
#define ALIKE_CLI_VECTOR_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "alike/status.h"
#include "alike/vector_db.h"

namespace alike::cli {

// The most components (floats, or bytes of a binary vector) a record may have; more means the
// file is not what its name says.
inline constexpr uint32_t kMaxVectorComponents = 65536;

struct VectorFileOptions {
  // "fvecs", "bvecs", "ivecs", "npy" or "jsonl"; empty = from the file's extension (.fvecs,
  // .bvecs, .ivecs, .npy, .jsonl / .ndjson / .json).
  std::string format;
  uint64_t first_id = 0;
  // The target collection is kHamming: records carry packed bytes in Record::binary.
  bool binary = false;
};

class VectorFileReader {
 public:
  virtual ~VectorFileReader();
  VectorFileReader(const VectorFileReader&) = delete;
  VectorFileReader& operator=(const VectorFileReader&) = delete;

  // Opens the file and reads its header (the first dimension for *vecs), so that a wrong file is
  // refused before anything is written anywhere.
  static Result<std::unique_ptr<VectorFileReader>> Open(const std::string& path,
                                                        const VectorFileOptions& options);

  // Clears *out and reads up to max_records (> 0) records into it. Returns how many were read;
  // 0 means the end of the file. On error *out is left empty and every later call fails the same
  // way, so that a caller never goes on past a bad record by accident.
  Result<size_t> ReadBatch(size_t max_records, std::vector<Record>* out);

  // Floats per vector, or bits per vector for binary. Known after Open for fvecs, bvecs, ivecs
  // and npy (0 for an empty *vecs file); after the first record for jsonl (0 before).
  uint32_t dimension() const { return dimension_; }
  // How many records the file holds, where that is known without reading it (*vecs from the file
  // size, npy from its shape); 0 otherwise.
  uint64_t total_records() const { return total_records_; }
  // The format in use: "fvecs", "bvecs", "ivecs", "npy" or "jsonl".
  const std::string& format() const { return format_; }
  const std::string& path() const { return path_; }

 protected:
  VectorFileReader(std::string path, std::string format, const VectorFileOptions& options);

  // Fills *record (id included) with the next record, or sets *end at the end of the file.
  virtual Status ReadRecord(Record* record, bool* end) = 0;

  const VectorFileOptions& options() const { return options_; }
  void set_dimension(uint32_t dimension) { dimension_ = dimension; }
  void set_total_records(uint64_t total) { total_records_ = total; }

 private:
  std::string path_;
  std::string format_;
  VectorFileOptions options_;
  uint32_t dimension_ = 0;
  uint64_t total_records_ = 0;
  Status failure_;  // sticky: the first error ReadBatch hit
};

}  // namespace alike::cli

#endif  // ALIKE_CLI_VECTOR_FILE_H_
