#include "cli/vector_file.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "util/text.h"

namespace alike::cli {
namespace {

// Every format here stores little-endian numbers, which are copied as they are.
static_assert(std::endian::native == std::endian::little, "alike runs on little-endian hosts");

constexpr size_t kReadBufferBytes = 1 << 20;
// A jsonl line of kMaxVectorComponents floats is a few MiB; a far longer "line" means the file is
// not JSON lines at all, and reading on would pull all of it into memory.
constexpr size_t kMaxLineBytes = 64 << 20;
// NumPy pads headers to 64 bytes and they are rarely past a few hundred; a huge length is garbage.
constexpr uint32_t kMaxNpyHeaderBytes = 1 << 20;

std::string ErrnoText() { return std::generic_category().message(errno); }

// A file read through one large buffer, for both fixed-size records and lines. (stdio's own
// buffer is small, and line reading needs to look ahead for the newline anyway.)
class InputFile {
 public:
  static Result<std::unique_ptr<InputFile>> Open(const std::string& path) {
    std::error_code ec;
    const std::filesystem::file_status st = std::filesystem::status(path, ec);
    if (st.type() == std::filesystem::file_type::not_found) {
      return Status::NotFound(path + ": no such file");
    }
    if (st.type() == std::filesystem::file_type::directory) {
      return Status::InvalidArgument(path + ": is a directory, not a vector file");
    }
    errno = 0;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return Status::IOError(path + ": cannot open: " + ErrnoText());
    std::setvbuf(f, nullptr, _IONBF, 0);  // InputFile's buffer is the only one needed
    std::optional<uint64_t> size;
    if (st.type() == std::filesystem::file_type::regular) {
      const uintmax_t n = std::filesystem::file_size(path, ec);
      if (!ec) size = n;
    }
    return std::unique_ptr<InputFile>(new InputFile(path, f, size));
  }

  // Reads up to n bytes into dst; *got < n only at the end of the file.
  Status Read(void* dst, size_t n, size_t* got) {
    auto* p = static_cast<char*>(dst);
    size_t done = 0;
    while (done < n) {
      if (pos_ == end_) {
        ALIKE_RETURN_IF_ERROR(Fill());
        if (pos_ == end_) break;
      }
      const size_t take = std::min(n - done, end_ - pos_);
      std::memcpy(p + done, buffer_.data() + pos_, take);
      pos_ += take;
      done += take;
    }
    *got = done;
    return Status::OK();
  }

  // Reads the next line, without its '\n', into *line; *got is false at the end of the file.
  Status ReadLine(std::string* line, bool* got) {
    line->clear();
    *got = false;
    for (;;) {
      if (pos_ == end_) {
        ALIKE_RETURN_IF_ERROR(Fill());
        if (pos_ == end_) return Status::OK();  // a last line without '\n' was already taken
      }
      const char* start = buffer_.data() + pos_;
      const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
      const size_t take = newline != nullptr ? static_cast<size_t>(newline - start) : end_ - pos_;
      if (line->size() + take > kMaxLineBytes) {
        return Status::Corruption("line is longer than 64 MiB; is this really a JSON lines file?");
      }
      line->append(start, take);
      pos_ += take;
      *got = true;
      if (newline != nullptr) {
        ++pos_;
        return Status::OK();
      }
    }
  }

  // The file's size where it is a regular file.
  std::optional<uint64_t> size() const { return size_; }

 private:
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };

  InputFile(std::string path, std::FILE* f, std::optional<uint64_t> size)
      : path_(std::move(path)),
        file_(f),
        size_(size),
        // A small file needs no more than its own size (zeroing a whole buffer per file was most
        // of the time spent on small files); one more byte sees the end in a single read.
        buffer_(size ? std::min<uint64_t>(*size + 1, kReadBufferBytes) : kReadBufferBytes) {}

  Status Fill() {
    pos_ = end_ = 0;
    if (at_eof_) return Status::OK();
    end_ = std::fread(buffer_.data(), 1, buffer_.size(), file_.get());
    if (end_ < buffer_.size()) {
      if (std::ferror(file_.get())) return Status::IOError(path_ + ": read failed: " + ErrnoText());
      at_eof_ = true;
    }
    return Status::OK();
  }

  std::string path_;
  std::unique_ptr<std::FILE, Closer> file_;
  std::optional<uint64_t> size_;
  std::vector<char> buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool at_eof_ = false;
};

// ---------------------------------------------------------------------------------------------
// Fixed-size rows: shared by the *vecs formats and npy.

enum class Dtype { kF4, kF8, kU1, kI4, kI8 };

size_t ItemSize(Dtype type) {
  switch (type) {
    case Dtype::kF4:
      return 4;
    case Dtype::kF8:
      return 8;
    case Dtype::kU1:
      return 1;
    case Dtype::kI4:
      return 4;
    case Dtype::kI8:
      return 8;
  }
  return 1;
}

// What a component is called in a truncation message ("expected 512 floats").
const char* UnitName(Dtype type) {
  switch (type) {
    case Dtype::kF4:
      return "floats";
    case Dtype::kF8:
      return "doubles";
    case Dtype::kU1:
      return "bytes";
    case Dtype::kI4:
      return "ints";
    case Dtype::kI8:
      return "ints";
  }
  return "components";
}

template <typename T>
T Load(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

// "1e+300" rather than std::to_string's 301 digits.
std::string ShortDouble(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.9g", v);
  return text;
}

std::string NonFiniteText(double v) { return std::isnan(v) ? "is NaN" : "is infinite"; }

// Converts one row of `count` components into rec. Errors name the component, not the file: the
// caller knows where the row is.
Status DecodeRow(const uint8_t* data, Dtype type, uint32_t count, bool binary, Record* rec) {
  if (binary) {  // Open admits only uint8 rows for binary collections
    rec->binary.assign(data, data + count);
    rec->vector.clear();
    return Status::OK();
  }
  rec->vector.resize(count);
  float* out = rec->vector.data();
  for (uint32_t i = 0; i < count; ++i) {
    switch (type) {
      case Dtype::kF4: {
        const float v = Load<float>(data + 4 * size_t{i});
        if (!std::isfinite(v)) {
          return Status::InvalidArgument("component " + std::to_string(i) + " " + NonFiniteText(v));
        }
        out[i] = v;
        break;
      }
      case Dtype::kF8: {
        const double v = Load<double>(data + 8 * size_t{i});
        if (!std::isfinite(v)) {
          return Status::InvalidArgument("component " + std::to_string(i) + " " + NonFiniteText(v));
        }
        if (std::fabs(v) > FLT_MAX) {
          return Status::InvalidArgument("component " + std::to_string(i) + " (" + ShortDouble(v) +
                                         ") is out of float range");
        }
        out[i] = static_cast<float>(v);
        break;
      }
      case Dtype::kU1:
        out[i] = data[i];
        break;
      case Dtype::kI4:
        out[i] = static_cast<float>(Load<int32_t>(data + 4 * size_t{i}));
        break;
      case Dtype::kI8:
        out[i] = static_cast<float>(Load<int64_t>(data + 8 * size_t{i}));
        break;
    }
  }
  return Status::OK();
}

// Decodes row number *index of a fixed-width file (its id is first_id + *index) and advances the
// row counter; errors name the file and the row.
Status DecodeNumberedRow(const std::vector<uint8_t>& row, Dtype type, uint32_t count,
                         const VectorFileOptions& options, const std::string& path, uint64_t* index,
                         Record* record) {
  Status s = DecodeRow(row.data(), type, count, options.binary, record);
  if (!s.ok()) return s.WithContext(path + ": vector " + std::to_string(*index));
  record->id = options.first_id + *index;
  ++*index;
  return Status::OK();
}

Status Truncated(const std::string& path, uint64_t row, uint32_t count, Dtype type,
                 size_t bytes_there, const std::string& note = "") {
  return Status::Corruption(path + ": truncated at vector " + std::to_string(row) + ": expected " +
                            std::to_string(count) + " " + UnitName(type) + ", file ends after " +
                            std::to_string(bytes_there / ItemSize(type)) + note);
}

// ---------------------------------------------------------------------------------------------
// fvecs, bvecs, ivecs: every vector carries its own int32 dimension, which must not change.

class VecsReader final : public VectorFileReader {
 public:
  VecsReader(const std::string& path, const std::string& format, const VectorFileOptions& options,
             std::unique_ptr<InputFile> file, Dtype type)
      : VectorFileReader(path, format, options), file_(std::move(file)), type_(type) {}

  // Reads the first dimension, so that a file that is not *vecs at all is refused at Open.
  Status Init() {
    int32_t d = 0;
    size_t got = 0;
    ALIKE_RETURN_IF_ERROR(file_->Read(&d, sizeof(d), &got));
    if (got == 0) return Status::OK();  // no vectors: valid, if unusual
    if (got < sizeof(d)) return TruncatedDimension(got);
    if (d <= 0 || static_cast<uint32_t>(d) > kMaxVectorComponents) {
      return Status::Corruption(path() + ": vector 0 has dimension " + std::to_string(d) +
                                "; expected 1.." + std::to_string(kMaxVectorComponents) +
                                " (is this really a " + format() + " file?)");
    }
    components_ = static_cast<uint32_t>(d);
    pending_dimension_ = true;
    row_bytes_ = components_ * ItemSize(type_);
    row_.resize(row_bytes_);
    set_dimension(options().binary ? components_ * 8 : components_);
    if (file_->size()) set_total_records(*file_->size() / (sizeof(int32_t) + row_bytes_));
    return Status::OK();
  }

 protected:
  Status ReadRecord(Record* record, bool* end) override {
    if (pending_dimension_) {
      pending_dimension_ = false;  // Init read it
    } else {
      int32_t d = 0;
      size_t got = 0;
      ALIKE_RETURN_IF_ERROR(file_->Read(&d, sizeof(d), &got));
      if (got == 0) {
        *end = true;
        return Status::OK();
      }
      if (got < sizeof(d)) return TruncatedDimension(got);
      if (d < 0 || static_cast<uint32_t>(d) != components_) {
        return Status::Corruption(path() + ": vector " + std::to_string(index_) +
                                  " has dimension " + std::to_string(d) + ", expected " +
                                  std::to_string(components_) + " like vector 0");
      }
    }
    size_t got = 0;
    ALIKE_RETURN_IF_ERROR(file_->Read(row_.data(), row_bytes_, &got));
    if (got < row_bytes_) return Truncated(path(), index_, components_, type_, got);
    return DecodeNumberedRow(row_, type_, components_, options(), path(), &index_, record);
  }

 private:
  Status TruncatedDimension(size_t got) const {
    return Status::Corruption(path() + ": truncated at vector " + std::to_string(index_) +
                              ": expected a 4-byte dimension, file ends after " +
                              std::to_string(got) + " bytes");
  }

  std::unique_ptr<InputFile> file_;
  Dtype type_;
  uint32_t components_ = 0;
  size_t row_bytes_ = 0;
  bool pending_dimension_ = false;
  uint64_t index_ = 0;
  std::vector<uint8_t> row_;
};

// ---------------------------------------------------------------------------------------------
// npy. The header is a Python dict literal, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (1000, 128), }
// parsed here by a small reader of Python literals rather than by pattern matching, so that key
// order, spacing, quotes and trailing commas do not matter.

struct PyValue {
  enum class Kind { kString, kInt, kBool, kNone, kSequence };
  Kind kind = Kind::kNone;
  std::string text;
  int64_t number = 0;
  bool flag = false;
  std::vector<PyValue> items;
};

class PyLiteralParser {
 public:
  explicit PyLiteralParser(std::string_view text) : text_(text) {}

  Status ParseDict(std::vector<std::pair<std::string, PyValue>>* entries) {
    SkipSpace();
    if (!Consume('{')) return Error("expected '{'");
    for (;;) {
      SkipSpace();
      if (Consume('}')) break;
      std::string key;
      ALIKE_RETURN_IF_ERROR(ParseString(&key));
      SkipSpace();
      if (!Consume(':')) return Error("expected ':' after '" + key + "'");
      PyValue value;
      ALIKE_RETURN_IF_ERROR(ParseValue(&value, 0));
      for (const auto& [k, v] : *entries) {
        if (k == key) return Error("duplicate key '" + key + "'");
      }
      entries->emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (Consume(',')) continue;
      if (Consume('}')) break;
      return Error("expected ',' or '}'");
    }
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the dict");
    return Status::OK();
  }

 private:
  Status ParseValue(PyValue* out, int depth) {
    if (depth > 8) return Error("nesting too deep");
    SkipSpace();
    if (pos_ == text_.size()) return Error("unexpected end");
    const char c = text_[pos_];
    if (c == '\'' || c == '"') {
      out->kind = PyValue::Kind::kString;
      return ParseString(&out->text);
    }
    if (c == '(' || c == '[') {
      const char close = c == '(' ? ')' : ']';
      ++pos_;
      out->kind = PyValue::Kind::kSequence;
      for (;;) {
        SkipSpace();
        if (Consume(close)) return Status::OK();
        PyValue item;
        ALIKE_RETURN_IF_ERROR(ParseValue(&item, depth + 1));
        out->items.push_back(std::move(item));
        SkipSpace();
        if (Consume(',')) continue;
        if (Consume(close)) return Status::OK();
        return Error(std::string("expected ',' or '") + close + "'");
      }
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+') {
      return ParseInt(out);
    }
    if (std::isalpha(static_cast<unsigned char>(c))) {
      const size_t start = pos_;
      while (pos_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      const std::string_view word = text_.substr(start, pos_ - start);
      if (word == "True" || word == "False") {
        out->kind = PyValue::Kind::kBool;
        out->flag = word == "True";
        return Status::OK();
      }
      if (word == "None") {
        out->kind = PyValue::Kind::kNone;
        return Status::OK();
      }
      pos_ = start;
      return Error("unexpected word '" + std::string(word) + "'");
    }
    return Error(std::string("unexpected character '") + c + "'");
  }

  Status ParseInt(PyValue* out) {
    bool negative = false;
    if (text_[pos_] == '-' || text_[pos_] == '+') negative = text_[pos_++] == '-';
    if (pos_ == text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      return Error("expected a digit");
    }
    uint64_t value = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      const uint64_t digit = text_[pos_++] - '0';
      if (value > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - digit) / 10) {
        return Error("integer too large");
      }
      value = value * 10 + digit;
    }
    // Python 2 wrote shapes of long ints as "(10L, 4L)".
    if (pos_ < text_.size() && (text_[pos_] == 'L' || text_[pos_] == 'l')) ++pos_;
    out->kind = PyValue::Kind::kInt;
    out->number = negative ? -static_cast<int64_t>(value) : static_cast<int64_t>(value);
    return Status::OK();
  }

  Status ParseString(std::string* out) {
    if (pos_ == text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
      return Error("expected a quoted string");
    }
    const char quote = text_[pos_++];
    out->clear();
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out->push_back(text_[pos_++]);
    }
    if (!Consume(quote)) return Error("unterminated string");
    return Status::OK();
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool Consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  Status Error(const std::string& what) const {
    return Status::Corruption(what + " at offset " + std::to_string(pos_));
  }

  std::string_view text_;
  size_t pos_ = 0;
};

std::string DescribePyValue(const PyValue& v) {
  switch (v.kind) {
    case PyValue::Kind::kString:
      return "'" + v.text + "'";
    case PyValue::Kind::kInt:
      return std::to_string(v.number);
    case PyValue::Kind::kBool:
      return v.flag ? "True" : "False";
    case PyValue::Kind::kNone:
      return "None";
    case PyValue::Kind::kSequence: {
      std::string s = "(";
      for (size_t i = 0; i < v.items.size(); ++i) {
        s += (i ? ", " : "") + DescribePyValue(v.items[i]);
      }
      return s + (v.items.size() == 1 ? ",)" : ")");
    }
  }
  return "?";
}

std::optional<Dtype> ParseDescr(const std::string& descr) {
  // One-byte types have no byte order ('|'); '=' is native, which is little-endian here.
  if (descr == "|u1" || descr == "<u1" || descr == "=u1" || descr == "u1" || descr == "|B") {
    return Dtype::kU1;
  }
  if (descr.size() != 3 || (descr[0] != '<' && descr[0] != '=')) return std::nullopt;
  const std::string_view t = std::string_view(descr).substr(1);
  if (t == "f4") return Dtype::kF4;
  if (t == "f8") return Dtype::kF8;
  if (t == "i4") return Dtype::kI4;
  if (t == "i8") return Dtype::kI8;
  return std::nullopt;
}

class NpyReader final : public VectorFileReader {
 public:
  NpyReader(const std::string& path, const VectorFileOptions& options,
            std::unique_ptr<InputFile> file)
      : VectorFileReader(path, "npy", options), file_(std::move(file)) {}

  Status Init() {
    static constexpr char kMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
    char magic[6];
    size_t got = 0;
    ALIKE_RETURN_IF_ERROR(file_->Read(magic, sizeof(magic), &got));
    if (got == 0) return Status::Corruption(path() + ": empty file, not a NumPy .npy file");
    if (got < sizeof(magic) || std::memcmp(magic, kMagic, sizeof(magic)) != 0) {
      return Status::Corruption(path() + ": not a NumPy .npy file (bad magic)");
    }
    uint8_t version[2];
    ALIKE_RETURN_IF_ERROR(file_->Read(version, sizeof(version), &got));
    if (got < sizeof(version)) return Status::Corruption(path() + ": truncated npy header");
    if (version[0] < 1 || version[0] > 3 || version[1] != 0) {
      return Status::InvalidArgument(path() + ": npy format version " + std::to_string(version[0]) +
                                     "." + std::to_string(version[1]) +
                                     " is not supported (1.0, 2.0 and 3.0 are)");
    }
    // Version 1.0 has a 2-byte header length; 2.0 and 3.0 a 4-byte one.
    uint32_t header_len = 0;
    const size_t len_bytes = version[0] == 1 ? 2 : 4;
    ALIKE_RETURN_IF_ERROR(file_->Read(&header_len, len_bytes, &got));
    if (got < len_bytes) return Status::Corruption(path() + ": truncated npy header");
    if (header_len > kMaxNpyHeaderBytes) {
      return Status::Corruption(path() + ": npy header length " + std::to_string(header_len) +
                                " is implausible");
    }
    std::string header(header_len, '\0');
    ALIKE_RETURN_IF_ERROR(file_->Read(header.data(), header_len, &got));
    if (got < header_len) return Status::Corruption(path() + ": truncated npy header");
    const uint64_t data_offset = sizeof(kMagic) + sizeof(version) + len_bytes + header_len;
    ALIKE_RETURN_IF_ERROR(ParseHeader(header));
    if (file_->size()) {
      const uint64_t size = *file_->size();
      ALIKE_RETURN_IF_ERROR(CheckSize(size > data_offset ? size - data_offset : 0));
    }
    return Status::OK();
  }

 protected:
  Status ReadRecord(Record* record, bool* end) override {
    if (index_ == rows_) {
      *end = true;
      return Status::OK();
    }
    size_t got = 0;
    ALIKE_RETURN_IF_ERROR(file_->Read(row_.data(), row_.size(), &got));
    if (got < row_.size()) return TruncatedAt(index_, got);
    return DecodeNumberedRow(row_, type_, components_, options(), path(), &index_, record);
  }

 private:
  Status ParseHeader(const std::string& header) {
    std::vector<std::pair<std::string, PyValue>> entries;
    Status s = PyLiteralParser(header).ParseDict(&entries);
    if (!s.ok()) return s.WithContext(path() + ": bad npy header");
    const PyValue* descr = nullptr;
    const PyValue* fortran = nullptr;
    const PyValue* shape = nullptr;
    for (const auto& [key, value] : entries) {
      if (key == "descr") descr = &value;
      if (key == "fortran_order") fortran = &value;
      if (key == "shape") shape = &value;
    }
    if (descr == nullptr || fortran == nullptr || shape == nullptr) {
      return Status::Corruption(path() +
                                ": bad npy header: it needs 'descr', 'fortran_order' and 'shape'");
    }

    if (descr->kind != PyValue::Kind::kString) {
      return Status::InvalidArgument(path() +
                                     ": structured npy dtypes are not supported; save a "
                                     "plain 2-D float32 array");
    }
    const std::optional<Dtype> type = ParseDescr(descr->text);
    if (!type) {
      return Status::InvalidArgument(path() + ": unsupported npy dtype '" + descr->text +
                                     "'; use float32 (<f4), float64 (<f8), int32 (<i4), int64 "
                                     "(<i8) or uint8 (|u1)");
    }
    type_ = *type;
    if (options().binary && type_ != Dtype::kU1) {
      return Status::InvalidArgument(path() +
                                     ": binary vectors need an npy of dtype uint8 (|u1) "
                                     "holding packed bits, not '" +
                                     descr->text + "'");
    }

    if (fortran->kind != PyValue::Kind::kBool) {
      return Status::Corruption(path() + ": bad npy header: fortran_order is " +
                                DescribePyValue(*fortran));
    }
    if (fortran->flag) {
      return Status::InvalidArgument(path() +
                                     ": npy array is in Fortran (column-major) order; "
                                     "save np.ascontiguousarray(a) instead");
    }

    bool shape_ok = shape->kind == PyValue::Kind::kSequence;
    for (const PyValue& dim : shape->items) {
      shape_ok = shape_ok && dim.kind == PyValue::Kind::kInt && dim.number >= 0;
    }
    if (!shape_ok) {
      return Status::Corruption(path() + ": bad npy header: shape is " + DescribePyValue(*shape));
    }
    int64_t columns = 0;
    if (shape->items.size() == 1) {
      rows_ = 1;
      columns = shape->items[0].number;
    } else if (shape->items.size() == 2) {
      rows_ = static_cast<uint64_t>(shape->items[0].number);
      columns = shape->items[1].number;
    } else {
      return Status::InvalidArgument(path() + ": npy array has shape " + DescribePyValue(*shape) +
                                     "; expected (vectors, dimension) or (dimension,)");
    }
    if (columns <= 0 || columns > kMaxVectorComponents) {
      return Status::InvalidArgument(path() + ": npy array has shape " + DescribePyValue(*shape) +
                                     "; the dimension must be 1.." +
                                     std::to_string(kMaxVectorComponents));
    }
    components_ = static_cast<uint32_t>(columns);
    row_.resize(components_ * ItemSize(type_));
    set_dimension(options().binary ? components_ * 8 : components_);
    set_total_records(rows_);
    return Status::OK();
  }

  // Reports a short file at Open, before the caller has written anything, with the same message
  // reading up to the break would give.
  Status CheckSize(uint64_t data_bytes) const {
    const uint64_t full_rows = data_bytes / row_.size();
    if (full_rows >= rows_) return Status::OK();
    return TruncatedAt(full_rows, data_bytes % row_.size());
  }

  Status TruncatedAt(uint64_t row, size_t bytes_there) const {
    return Truncated(path(), row, components_, type_, bytes_there,
                     " (the header promises " + std::to_string(rows_) + " vectors)");
  }

  std::unique_ptr<InputFile> file_;
  Dtype type_ = Dtype::kF4;
  uint32_t components_ = 0;
  uint64_t rows_ = 0;
  uint64_t index_ = 0;
  std::vector<uint8_t> row_;
};

// ---------------------------------------------------------------------------------------------
// jsonl.

using Json = nlohmann::json;

// Python's json module writes NaN, Infinity and -Infinity, which JSON lacks. A line that fails to
// parse is retried with those words (outside strings) turned into marker strings, so that the
// error can say "component 5 is NaN" instead of pointing at a syntax error. The markers start with
// a control character, which no real component string would.
constexpr std::string_view kNanMarker = "\x01NaN";
constexpr std::string_view kInfMarker = "\x01Inf";

std::optional<std::string> MarkNonFiniteWords(const std::string& line) {
  static constexpr std::pair<std::string_view, std::string_view> kWords[] = {
      {"-Infinity", "\"\\u0001Inf\""},
      {"Infinity", "\"\\u0001Inf\""},
      {"NaN", "\"\\u0001NaN\""},
  };
  std::string out;
  bool replaced = false;
  bool in_string = false;
  for (size_t i = 0; i < line.size();) {
    const char c = line[i];
    if (in_string) {
      if (c == '\\' && i + 1 < line.size()) {
        out.append(line, i, 2);
        i += 2;
        continue;
      }
      if (c == '"') in_string = false;
      out.push_back(c);
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out.push_back(c);
      ++i;
      continue;
    }
    bool matched = false;
    for (const auto& [word, marker] : kWords) {
      if (std::string_view(line).substr(i, word.size()) == word) {
        out.append(marker);
        i += word.size();
        matched = replaced = true;
        break;
      }
    }
    if (!matched) out.push_back(line[i++]);
  }
  if (!replaced) return std::nullopt;
  return out;
}

// Re-parses a malformed line through the SAX interface, which reports where and why it failed
// without throwing, to turn nlohmann's message into a useful one.
class SyntaxErrorCatcher final : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception& ex) override {
    message_ = ex.what();
    return false;
  }

  // "column 12: syntax error while parsing value - invalid literal; last read: '[1,x'": the
  // part of nlohmann's message after its exception id and line (always 1 here).
  std::string message() const {
    const size_t column = message_.find("column ");
    return column == std::string::npos ? message_ : message_.substr(column);
  }

 private:
  std::string message_ = "syntax error";
};

std::string DescribeSyntaxError(const std::string& line) {
  SyntaxErrorCatcher catcher;
  Json::sax_parse(line, &catcher);
  return catcher.message();
}

// A short rendering of a JSON value for an error message.
std::string Excerpt(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

class JsonlReader final : public VectorFileReader {
 public:
  JsonlReader(const std::string& path, const VectorFileOptions& options,
              std::unique_ptr<InputFile> file)
      : VectorFileReader(path, "jsonl", options), file_(std::move(file)) {}

 protected:
  Status ReadRecord(Record* record, bool* end) override {
    for (;;) {
      bool got = false;
      Status s = file_->ReadLine(&line_, &got);
      if (!s.ok()) return s.WithContext(Where(line_number_ + 1));
      if (!got) {
        *end = true;
        return Status::OK();
      }
      ++line_number_;
      std::string_view text = line_;
      if (line_number_ == 1 && text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // BOM
      if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      s = ParseLine(text, record);
      if (!s.ok()) return s.WithContext(Where(line_number_));
      ++records_;
      return Status::OK();
    }
  }

 private:
  std::string Where(uint64_t line) const { return path() + " line " + std::to_string(line); }

  Status ParseLine(std::string_view text, Record* record) {
    Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded()) return ParseObject(j, record);
    const std::string line(text);
    const Status syntax_error = Status::Corruption("malformed JSON: " + DescribeSyntaxError(line));
    if (std::optional<std::string> marked = MarkNonFiniteWords(line)) {
      j = Json::parse(*marked, nullptr, /*allow_exceptions=*/false);
      // The markers only serve to name a bad component; a line they make acceptable (a NaN in the
      // payload, say) is still not JSON.
      if (!j.is_discarded()) {
        Status s = ParseObject(j, record);
        if (!s.ok()) return s;
      }
    }
    return syntax_error;
  }

  Status ParseObject(const Json& j, Record* record) {
    if (!j.is_object()) {
      return Status::InvalidArgument(std::string("expected a JSON object, got ") + j.type_name());
    }

    const auto id = j.find("id");
    if (id != j.end() && !id->is_null()) {
      if (!id->is_number_unsigned()) {
        return Status::InvalidArgument("\"id\" must be a non-negative integer, got " +
                                       Excerpt(*id));
      }
      record->id = id->get<uint64_t>();
    } else {
      record->id = options().first_id + records_;
    }

    const auto payload = j.find("payload");
    if (payload == j.end() || payload->is_null()) {
      record->payload = "{}";
    } else if (payload->is_object()) {
      record->payload = payload->dump(-1, ' ', false, Json::error_handler_t::replace);
    } else {
      return Status::InvalidArgument("\"payload\" must be a JSON object, got " + Excerpt(*payload));
    }

    size_t components = 0;
    if (options().binary) {
      ALIKE_RETURN_IF_ERROR(ParseBinary(j, record));
      components = record->binary.size();
    } else {
      ALIKE_RETURN_IF_ERROR(ParseVector(j, record));
      components = record->vector.size();
    }
    return CheckDimension(components);
  }

  Status ParseVector(const Json& j, Record* record) {
    const auto vector = j.find("vector");
    if (vector == j.end()) {
      if (j.contains("binary")) {
        return Status::InvalidArgument(
            "missing \"vector\"; the line has \"binary\", but the collection takes float vectors");
      }
      return Status::InvalidArgument("missing \"vector\"");
    }
    if (!vector->is_array() || vector->empty()) {
      return Status::InvalidArgument("\"vector\" must be a non-empty array of numbers, got " +
                                     Excerpt(*vector));
    }
    record->binary.clear();
    record->vector.resize(vector->size());
    for (size_t i = 0; i < vector->size(); ++i) {
      const Json& c = (*vector)[i];
      const std::string which = "component " + std::to_string(i);
      if (c.is_string()) {
        const auto& s = c.get_ref<const std::string&>();
        if (s == kNanMarker) return Status::InvalidArgument(which + " is NaN");
        if (s == kInfMarker) return Status::InvalidArgument(which + " is infinite");
      }
      if (!c.is_number()) {
        return Status::InvalidArgument(which + " is not a number: " + Excerpt(c));
      }
      const double v = c.get<double>();
      if (!std::isfinite(v)) return Status::InvalidArgument(which + " " + NonFiniteText(v));
      if (std::fabs(v) > FLT_MAX) {
        return Status::InvalidArgument(which + " (" + Excerpt(c) + ") is out of float range");
      }
      record->vector[i] = static_cast<float>(v);
    }
    return Status::OK();
  }

  Status ParseBinary(const Json& j, Record* record) {
    const auto binary = j.find("binary");
    if (binary == j.end()) {
      if (j.contains("vector")) {
        return Status::InvalidArgument(
            "missing \"binary\"; the collection is binary (hamming) and takes hex strings, not "
            "\"vector\"");
      }
      return Status::InvalidArgument("missing \"binary\" (a hex string)");
    }
    if (!binary->is_string()) {
      return Status::InvalidArgument("\"binary\" must be a hex string, got " + Excerpt(*binary));
    }
    const auto& hex = binary->get_ref<const std::string&>();
    if (hex.empty()) return Status::InvalidArgument("\"binary\" is empty");
    auto bytes = ParseHex(hex, "\"binary\"");
    if (!bytes.ok()) return bytes.status();
    record->vector.clear();
    record->binary = std::move(*bytes);
    return Status::OK();
  }

  // The first record fixes the dimension; every later one must match it.
  Status CheckDimension(size_t components) {
    const char* unit = options().binary ? " bytes" : " components";
    if (components > kMaxVectorComponents) {
      return Status::InvalidArgument("vector has " + std::to_string(components) + unit +
                                     "; at most " + std::to_string(kMaxVectorComponents) +
                                     " are allowed");
    }
    if (first_line_ == 0) {
      first_line_ = line_number_;
      components_ = static_cast<uint32_t>(components);
      set_dimension(options().binary ? components_ * 8 : components_);
      return Status::OK();
    }
    if (components != components_) {
      return Status::InvalidArgument("vector has " + std::to_string(components) + unit +
                                     ", expected " + std::to_string(components_) + " as on line " +
                                     std::to_string(first_line_));
    }
    return Status::OK();
  }

  std::unique_ptr<InputFile> file_;
  std::string line_;
  uint64_t line_number_ = 0;
  uint64_t records_ = 0;
  uint64_t first_line_ = 0;  // the line that fixed the dimension; 0 before it
  uint32_t components_ = 0;
};

Result<std::string> ResolveFormat(const std::string& path, const std::string& format) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  if (!format.empty()) {
    const std::string f = lower(format);
    if (f == "fvecs" || f == "bvecs" || f == "ivecs" || f == "npy" || f == "jsonl") return f;
    return Status::InvalidArgument("unknown vector file format '" + format +
                                   "'; use fvecs, bvecs, ivecs, npy or jsonl");
  }
  const std::string ext = lower(std::filesystem::path(path).extension().string());
  if (ext == ".fvecs" || ext == ".bvecs" || ext == ".ivecs" || ext == ".npy") {
    return ext.substr(1);
  }
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") return std::string("jsonl");
  return Status::InvalidArgument(path +
                                 ": cannot tell the vector file format from the name; give it "
                                 "(fvecs, bvecs, ivecs, npy or jsonl)");
}

}  // namespace

VectorFileReader::VectorFileReader(std::string path, std::string format,
                                   const VectorFileOptions& options)
    : path_(std::move(path)), format_(std::move(format)), options_(options) {
  options_.format = format_;
}

VectorFileReader::~VectorFileReader() = default;

Result<std::unique_ptr<VectorFileReader>> VectorFileReader::Open(const std::string& path,
                                                                 const VectorFileOptions& options) {
  Result<std::string> format = ResolveFormat(path, options.format);
  if (!format.ok()) return format.status();
  if (options.binary && (*format == "fvecs" || *format == "ivecs")) {
    return Status::InvalidArgument(path +
                                   ": binary vectors are read from bvecs, npy (uint8) or "
                                   "jsonl (hex strings), not " +
                                   *format);
  }
  Result<std::unique_ptr<InputFile>> file = InputFile::Open(path);
  if (!file.ok()) return file.status();

  if (*format == "jsonl") {
    return std::unique_ptr<VectorFileReader>(
        new JsonlReader(path, options, std::move(file).value()));
  }
  if (*format == "npy") {
    auto reader = std::make_unique<NpyReader>(path, options, std::move(file).value());
    ALIKE_RETURN_IF_ERROR(reader->Init());
    return std::unique_ptr<VectorFileReader>(std::move(reader));
  }
  const Dtype type = *format == "fvecs" ? Dtype::kF4 : *format == "bvecs" ? Dtype::kU1 : Dtype::kI4;
  auto reader = std::make_unique<VecsReader>(path, *format, options, std::move(file).value(), type);
  ALIKE_RETURN_IF_ERROR(reader->Init());
  return std::unique_ptr<VectorFileReader>(std::move(reader));
}

Result<size_t> VectorFileReader::ReadBatch(size_t max_records, std::vector<Record>* out) {
  out->clear();
  if (!failure_.ok()) return failure_;
  if (max_records == 0) return Status::InvalidArgument("ReadBatch needs max_records > 0");
  out->reserve(std::min<size_t>(max_records, 1 << 16));
  while (out->size() < max_records) {
    Record record;
    bool end = false;
    Status s = ReadRecord(&record, &end);
    if (!s.ok()) {
      failure_ = s;
      out->clear();
      return s;
    }
    if (end) break;
    out->push_back(std::move(record));
  }
  return out->size();
}

}  // namespace alike::cli
