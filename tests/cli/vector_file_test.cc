#include "cli/vector_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace alike::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using std::string_literals::operator""s;

// Little-endian bytes of any trivially copyable values, appended to out.
template <typename T>
void Append(std::string* out, const T& value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out->append(bytes, sizeof(T));
}

// [int32 d][d values] per vector: fvecs for float, bvecs for uint8_t, ivecs for int32_t.
template <typename T>
std::string VecsBytes(const std::vector<std::vector<T>>& vectors) {
  std::string out;
  for (const auto& v : vectors) {
    Append(&out, static_cast<int32_t>(v.size()));
    for (const T& x : v) Append(&out, x);
  }
  return out;
}

// A .npy file: magic, version, header length (2 bytes for v1, 4 otherwise), the header padded with
// spaces and a newline so that the data starts at a multiple of 64, as NumPy writes it.
std::string NpyBytes(const std::string& dict, const std::string& data, int major = 1) {
  const size_t len_bytes = major == 1 ? 2 : 4;
  std::string header = dict;
  const size_t fixed = 6 + 2 + len_bytes;
  while ((fixed + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(major));
  out.push_back(0);
  if (major == 1) {
    Append(&out, static_cast<uint16_t>(header.size()));
  } else {
    Append(&out, static_cast<uint32_t>(header.size()));
  }
  return out + header + data;
}

// (Designated initializers would be shorter, but GCC 12 warns about the fields they leave out.)
VectorFileOptions FirstId(uint64_t first_id) {
  VectorFileOptions options;
  options.first_id = first_id;
  return options;
}
VectorFileOptions Binary() {
  VectorFileOptions options;
  options.binary = true;
  return options;
}
VectorFileOptions Format(const std::string& format) {
  VectorFileOptions options;
  options.format = format;
  return options;
}

template <typename T>
std::string RawBytes(const std::vector<T>& values) {
  std::string out;
  for (const T& v : values) Append(&out, v);
  return out;
}

class VectorFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("alike_vector_file_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  static std::unique_ptr<VectorFileReader> OpenOk(const std::string& path,
                                                  const VectorFileOptions& options = {}) {
    auto reader = VectorFileReader::Open(path, options);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    return reader.ok() ? std::move(reader).value() : nullptr;
  }

  static std::vector<Record> ReadAll(VectorFileReader* reader, size_t batch = 1000) {
    std::vector<Record> all;
    std::vector<Record> part;
    for (;;) {
      Result<size_t> n = reader->ReadBatch(batch, &part);
      EXPECT_TRUE(n.ok()) << n.status().ToString();
      if (!n.ok() || *n == 0) break;
      EXPECT_EQ(*n, part.size());
      for (Record& r : part) all.push_back(std::move(r));
    }
    return all;
  }

  // The error of opening path and reading it whole (whichever step fails first).
  static Status ReadError(const std::string& path, const VectorFileOptions& options = {}) {
    auto reader = VectorFileReader::Open(path, options);
    if (!reader.ok()) return reader.status();
    std::vector<Record> part;
    for (;;) {
      Result<size_t> n = (*reader)->ReadBatch(7, &part);
      if (!n.ok()) {
        EXPECT_TRUE(part.empty());
        return n.status();
      }
      if (*n == 0) return Status::OK();
    }
  }

  std::filesystem::path dir_;
};

TEST_F(VectorFileTest, FvecsRoundTripsExactly) {
  const std::vector<std::vector<float>> vectors = {
      {0.1f, -1e-30f, 3.4e38f},
      {std::numeric_limits<float>::denorm_min(), -0.0f, 1.0f / 3.0f},
      {1, 2, 3},
  };
  const std::string path = Write("a.fvecs", VecsBytes(vectors));
  auto reader = OpenOk(path, FirstId(100));
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->format(), "fvecs");
  EXPECT_EQ(reader->dimension(), 3u);
  EXPECT_EQ(reader->total_records(), 3u);
  const std::vector<Record> records = ReadAll(reader.get());
  ASSERT_EQ(records.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(records[i].id, 100 + i);
    EXPECT_EQ(records[i].payload, "{}");
    EXPECT_TRUE(records[i].binary.empty());
    ASSERT_EQ(records[i].vector.size(), 3u);
    for (size_t j = 0; j < 3; ++j) {
      // Bitwise, so that -0.0 and denormals count too.
      EXPECT_EQ(std::memcmp(&records[i].vector[j], &vectors[i][j], sizeof(float)), 0) << i << j;
    }
  }
}

TEST_F(VectorFileTest, BvecsReadAsFloatsOrAsPackedBits) {
  const std::vector<std::vector<uint8_t>> vectors = {{0, 1, 255, 128}, {7, 8, 9, 10}};
  const std::string path = Write("b.bvecs", VecsBytes(vectors));

  auto floats = OpenOk(path);
  ASSERT_NE(floats, nullptr);
  EXPECT_EQ(floats->dimension(), 4u);
  std::vector<Record> records = ReadAll(floats.get());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].vector, ElementsAre(0.0f, 1.0f, 255.0f, 128.0f));
  EXPECT_THAT(records[1].vector, ElementsAre(7.0f, 8.0f, 9.0f, 10.0f));

  auto bits = OpenOk(path, Binary());
  ASSERT_NE(bits, nullptr);
  EXPECT_EQ(bits->dimension(), 32u);  // bits, as a hamming collection counts them
  records = ReadAll(bits.get());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(records[0].vector.empty());
  EXPECT_THAT(records[0].binary, ElementsAre(0, 1, 255, 128));
  EXPECT_THAT(records[1].binary, ElementsAre(7, 8, 9, 10));
}

TEST_F(VectorFileTest, IvecsReadAsFloats) {
  const std::string path = Write("gt.ivecs", VecsBytes<int32_t>({{5, -3, 1 << 20}, {0, 1, 2}}));
  auto reader = OpenOk(path);
  ASSERT_NE(reader, nullptr);
  const std::vector<Record> records = ReadAll(reader.get());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].vector, ElementsAre(5.0f, -3.0f, static_cast<float>(1 << 20)));
}

TEST_F(VectorFileTest, BatchesSplitAnywhereAndIdsContinue) {
  std::vector<std::vector<float>> vectors;
  std::string jsonl;
  std::vector<float> flat;
  for (int i = 0; i < 10; ++i) {
    vectors.push_back({static_cast<float>(i), static_cast<float>(-i)});
    flat.insert(flat.end(), vectors.back().begin(), vectors.back().end());
    jsonl += "{\"vector\": [" + std::to_string(i) + ", " + std::to_string(-i) + "]}\n";
  }
  const std::vector<std::string> paths = {
      Write("v.fvecs", VecsBytes(vectors)),
      Write("v.npy", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (10, 2), }",
                              RawBytes(flat))),
      Write("v.jsonl", jsonl),
  };
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    auto reader = OpenOk(path, FirstId(1000));
    ASSERT_NE(reader, nullptr);
    std::vector<Record> part;
    std::vector<size_t> sizes;
    uint64_t next_id = 1000;
    for (;;) {
      Result<size_t> n = reader->ReadBatch(3, &part);
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      sizes.push_back(*n);
      if (*n == 0) break;
      for (const Record& r : part) {
        EXPECT_EQ(r.id, next_id);
        EXPECT_THAT(r.vector, ElementsAre(static_cast<float>(next_id - 1000),
                                          -static_cast<float>(next_id - 1000)));
        ++next_id;
      }
    }
    EXPECT_THAT(sizes, ElementsAre(3, 3, 3, 1, 0));
    EXPECT_EQ(reader->dimension(), 2u);
    // Past the end it stays at the end.
    Result<size_t> again = reader->ReadBatch(3, &part);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, 0u);
  }
}

TEST_F(VectorFileTest, ZeroMaxRecordsIsRefused) {
  auto reader = OpenOk(Write("z.fvecs", VecsBytes<float>({{1}})));
  ASSERT_NE(reader, nullptr);
  std::vector<Record> part;
  EXPECT_EQ(reader->ReadBatch(0, &part).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(VectorFileTest, EmptyVecsFileHasNoRecords) {
  auto reader = OpenOk(Write("empty.fvecs", ""));
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->dimension(), 0u);
  EXPECT_EQ(reader->total_records(), 0u);
  EXPECT_TRUE(ReadAll(reader.get()).empty());
}

TEST_F(VectorFileTest, TruncatedVecsNamesTheVector) {
  std::vector<std::vector<float>> vectors(17, std::vector<float>(512, 0.5f));
  std::string bytes = VecsBytes(vectors);
  Append(&bytes, int32_t{512});
  for (int i = 0; i < 100; ++i) Append(&bytes, 1.5f);
  bytes += "xy";  // part of a float: not counted
  const std::string path = Write("t.fvecs", bytes);

  auto reader = OpenOk(path);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->total_records(), 17u);
  std::vector<Record> part;
  Result<size_t> n = reader->ReadBatch(10, &part);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 10u);
  n = reader->ReadBatch(10, &part);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(n.status().message(),
            path + ": truncated at vector 17: expected 512 floats, file ends after 100");
  EXPECT_TRUE(part.empty());
  // The failure sticks.
  EXPECT_EQ(reader->ReadBatch(10, &part).status().message(), n.status().message());
}

TEST_F(VectorFileTest, TruncatedVecsDimension) {
  std::string bytes = VecsBytes<uint8_t>({{1, 2}, {3, 4}});
  bytes += "\x02\x00"s;
  const std::string path = Write("t.bvecs", bytes);
  EXPECT_EQ(ReadError(path).message(),
            path + ": truncated at vector 2: expected a 4-byte dimension, file ends after 2 bytes");
}

TEST_F(VectorFileTest, VecsDimensionMustNotChange) {
  const std::string path = Write("c.fvecs", VecsBytes<float>({{1, 2, 3}, {4, 5, 6}, {7, 8}}));
  const Status s = ReadError(path);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.message(), path + ": vector 2 has dimension 2, expected 3 like vector 0");
}

TEST_F(VectorFileTest, VecsAbsurdDimensionIsRefusedAtOpen) {
  for (int32_t d : {0, -4, 65537, 1 << 30}) {
    std::string bytes;
    Append(&bytes, d);
    bytes += std::string(64, '\0');
    const std::string path = Write("absurd.fvecs", bytes);
    auto reader = VectorFileReader::Open(path, {});
    ASSERT_FALSE(reader.ok()) << d;
    EXPECT_THAT(reader.status().message(),
                HasSubstr(path + ": vector 0 has dimension " + std::to_string(d)));
  }
}

TEST_F(VectorFileTest, VecsNonFiniteComponents) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  std::string path = Write("nan.fvecs", VecsBytes<float>({{1, 2, 3}, {1, 2, nan}}));
  Status s = ReadError(path);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), path + ": vector 1: component 2 is NaN");
  path = Write("inf.fvecs", VecsBytes<float>({{-inf, 2, 3}}));
  EXPECT_EQ(ReadError(path).message(), path + ": vector 0: component 0 is infinite");
}

TEST_F(VectorFileTest, BinaryNeedsByteRows) {
  const std::string path = Write("f.fvecs", VecsBytes<float>({{1, 2}}));
  auto reader = VectorFileReader::Open(path, Binary());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(reader.status().message(), HasSubstr("binary vectors are read from bvecs"));
}

TEST_F(VectorFileTest, NpyHeaderVariants) {
  const std::string data = RawBytes<float>({1.5f, -2.25f, 3, 0.1f, 5, 6});
  const std::vector<std::pair<std::string, int>> headers = {
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 1},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 2},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 3},
      {"{'shape':(2,3),'fortran_order':False,'descr':'<f4'}", 1},
      {"{ \"fortran_order\" : False ,\n \"shape\" : ( 2 , 3 ) , \"descr\" : \"<f4\" }", 2},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L)}", 1},
  };
  for (const auto& [dict, major] : headers) {
    SCOPED_TRACE(dict + " v" + std::to_string(major));
    const std::string path = Write("h.npy", NpyBytes(dict, data, major));
    auto reader = OpenOk(path, FirstId(5));
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(reader->format(), "npy");
    EXPECT_EQ(reader->dimension(), 3u);
    EXPECT_EQ(reader->total_records(), 2u);
    const std::vector<Record> records = ReadAll(reader.get());
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].id, 5u);
    EXPECT_EQ(records[1].id, 6u);
    EXPECT_THAT(records[0].vector, ElementsAre(1.5f, -2.25f, 3.0f));
    EXPECT_THAT(records[1].vector, ElementsAre(0.1f, 5.0f, 6.0f));
  }
}

TEST_F(VectorFileTest, NpyOneDimensionalIsOneVector) {
  const std::string path =
      Write("one.npy", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }",
                                RawBytes<float>({1, 2, 3, 4})));
  auto reader = OpenOk(path);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->total_records(), 1u);
  const std::vector<Record> records = ReadAll(reader.get());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(records[0].vector, ElementsAre(1.0f, 2.0f, 3.0f, 4.0f));
}

TEST_F(VectorFileTest, NpyZeroRowsIsEmpty) {
  auto reader = OpenOk(Write(
      "none.npy", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 8), }", "")));
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->dimension(), 8u);
  EXPECT_TRUE(ReadAll(reader.get()).empty());
}

TEST_F(VectorFileTest, NpyOtherDtypesConvert) {
  const double third = 1.0 / 3.0;
  struct Case {
    std::string descr;
    std::string data;
    std::vector<float> want;
  };
  const std::vector<Case> cases = {
      {"<f8", RawBytes<double>({third, -2.5}), {static_cast<float>(third), -2.5f}},
      {"|u1", RawBytes<uint8_t>({0, 255}), {0.0f, 255.0f}},
      {"<i4", RawBytes<int32_t>({-7, 1 << 20}), {-7.0f, static_cast<float>(1 << 20)}},
      {"<i8", RawBytes<int64_t>({-7, int64_t{1} << 40}), {-7.0f, 1099511627776.0f}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.descr);
    const std::string path = Write("d.npy", NpyBytes("{'descr': '" + c.descr +
                                                         "', 'fortran_order': False, "
                                                         "'shape': (1, 2), }",
                                                     c.data));
    auto reader = OpenOk(path);
    ASSERT_NE(reader, nullptr);
    const std::vector<Record> records = ReadAll(reader.get());
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].vector, c.want);
  }
}

TEST_F(VectorFileTest, NpyUint8AsPackedBits) {
  const std::string path =
      Write("bits.npy", NpyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }",
                                 RawBytes<uint8_t>({0xde, 0xad, 0xbe, 0xef})));
  auto reader = OpenOk(path, Binary());
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->dimension(), 16u);
  const std::vector<Record> records = ReadAll(reader.get());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].binary, ElementsAre(0xde, 0xad));
  EXPECT_THAT(records[1].binary, ElementsAre(0xbe, 0xef));

  const std::string floats =
      Write("f.npy", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }",
                              RawBytes<float>({1, 2})));
  const Status s = ReadError(floats, Binary());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("binary vectors need an npy of dtype uint8"));
}

TEST_F(VectorFileTest, NpyErrors) {
  const std::string f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
  const std::string rows = RawBytes<float>(std::vector<float>(12, 1.0f));
  struct Case {
    std::string name;
    std::string bytes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"empty", "", "empty file, not a NumPy .npy file"},
      {"magic", "PK\x03\x04 not numpy at all", "not a NumPy .npy file (bad magic)"},
      {"version", "\x93NUMPY\x04\x00\x10\x00"s, "npy format version 4.0 is not supported"},
      {"short header", "\x93NUMPY\x01\x00\x40\x00{'descr'"s, "truncated npy header"},
      {"fortran", NpyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }", rows),
       "npy array is in Fortran (column-major) order"},
      {"big endian", NpyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (3, 4), }", rows),
       "unsupported npy dtype '>f4'"},
      {"half", NpyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (3, 4), }", rows),
       "unsupported npy dtype '<f2'"},
      {"structured",
       NpyBytes("{'descr': [('x', '<f4'), ('y', '<f4')], 'fortran_order': False, 'shape': (6,), }",
                rows),
       "structured npy dtypes are not supported"},
      {"one-d empty", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", ""),
       "npy array has shape (0,); the dimension must be"},
      {"3-d", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 4), }", rows),
       "npy array has shape (1, 3, 4)"},
      {"zero dim", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 0), }", ""),
       "npy array has shape (3, 0); the dimension must be 1..65536"},
      {"no shape", NpyBytes("{'descr': '<f4', 'fortran_order': False, }", rows),
       "bad npy header: it needs 'descr', 'fortran_order' and 'shape'"},
      {"garbage", NpyBytes("{'descr': '<f4', 'fortran_order': Fals", rows), "bad npy header"},
      {"truncated", NpyBytes(f4, rows.substr(0, 2 * 16 + 6)),
       "truncated at vector 2: expected 4 floats, file ends after 1 (the header promises 3 "
       "vectors)"},
      {"f8 range",
       NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }",
                RawBytes<double>({1, 1e300})),
       "vector 0: component 1 (1e+300) is out of float range"},
      {"nan", NpyBytes(f4, RawBytes<float>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, NAN, 12})),
       "vector 2: component 2 is NaN"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = Write("bad.npy", c.bytes);
    const Status s = ReadError(path);
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.message(), HasSubstr(path + ": " + c.message));
  }
}

TEST_F(VectorFileTest, JsonlIdsPayloadsAndBlankLines) {
  const std::string path =
      Write("r.jsonl",
            "\xEF\xBB\xBF{\"id\": 123, \"vector\": [1, 2.5], "
            "\"payload\": {\"album\": \"2024\", \"n\": 3}}\n"
            "\n"
            "   \r\n"
            "{\"vector\": [-1e-3, 4]}\r\n"
            "{\"payload\": {\"x\": [1, 2]}, \"vector\": [0, 0], \"id\": null}\n"
            "{\"id\": 18446744073709551615, \"vector\": [7, 8]}");
  auto reader = OpenOk(path, FirstId(10));
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->dimension(), 0u);  // not known before the first line
  EXPECT_EQ(reader->total_records(), 0u);
  const std::vector<Record> records = ReadAll(reader.get(), 2);
  EXPECT_EQ(reader->dimension(), 2u);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].id, 123u);
  EXPECT_EQ(records[0].payload, R"({"album":"2024","n":3})");
  EXPECT_THAT(records[0].vector, ElementsAre(1.0f, 2.5f));
  // Positional ids count records, not lines.
  EXPECT_EQ(records[1].id, 11u);
  EXPECT_EQ(records[1].payload, "{}");
  EXPECT_THAT(records[1].vector, ElementsAre(-1e-3f, 4.0f));
  EXPECT_EQ(records[2].id, 12u);
  EXPECT_EQ(records[2].payload, R"({"x":[1,2]})");
  EXPECT_EQ(records[3].id, std::numeric_limits<uint64_t>::max());
}

TEST_F(VectorFileTest, JsonlBinaryHex) {
  const std::string hash(64, 'f');
  const std::string path =
      Write("h.json", "{\"id\": 1, \"binary\": \"" + hash + "\"}\n{\"binary\": \"00A1b2" +
                          std::string(58, '0') + "\", \"payload\": {\"p\": 1}}\n");
  auto reader = OpenOk(path, Binary());
  ASSERT_NE(reader, nullptr);
  const std::vector<Record> records = ReadAll(reader.get());
  EXPECT_EQ(reader->dimension(), 256u);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].binary, std::vector<uint8_t>(32, 0xff));
  EXPECT_TRUE(records[0].vector.empty());
  ASSERT_EQ(records[1].binary.size(), 32u);
  EXPECT_EQ(records[1].id, 1u);  // second record, first_id 0
  EXPECT_THAT(std::vector<uint8_t>(records[1].binary.begin(), records[1].binary.begin() + 4),
              ElementsAre(0x00, 0xa1, 0xb2, 0x00));
}

TEST_F(VectorFileTest, EmptyJsonlHasNoRecords) {
  for (const std::string& text : {std::string(), std::string("\n\n  \n")}) {
    auto reader = OpenOk(Write("e.jsonl", text));
    ASSERT_NE(reader, nullptr);
    EXPECT_TRUE(ReadAll(reader.get()).empty());
    EXPECT_EQ(reader->dimension(), 0u);
  }
}

TEST_F(VectorFileTest, JsonlErrorsNameTheLine) {
  const std::string ok = "{\"vector\": [1, 2, 3, 4, 5, 6]}\n\n";  // lines 1 and 2
  struct Case {
    std::string line3;
    std::string message;
    bool binary = false;
  };
  const std::vector<Case> cases = {
      {"{\"vector\": [1, 2,", "line 3: malformed JSON: column"},
      {"{\"vector\": [1, 2, 3, 4, 5, 6]} {}", "line 3: malformed JSON"},
      {"[1, 2, 3, 4, 5, 6]", "line 3: expected a JSON object, got array"},
      {"{\"id\": 4}", "line 3: missing \"vector\""},
      {"{\"binary\": \"ff\"}", "line 3: missing \"vector\"; the line has \"binary\""},
      {"{\"vector\": [1, \"2\", 3, 4, 5, 6]}", "line 3: component 1 is not a number: \"2\""},
      {"{\"vector\": [1, 2, 3, 4, 5, NaN]}", "line 3: component 5 is NaN"},
      {"{\"vector\": [1, 2, -Infinity, 4, 5, 6]}", "line 3: component 2 is infinite"},
      {"{\"vector\": [1, 2, 3, 4, 5, 1e39]}", "line 3: component 5 (1e+39) is out of float range"},
      {"{\"vector\": [1, 2, 3, 4, 5, 6], \"payload\": {\"s\": NaN}}", "line 3: malformed JSON"},
      {"{\"vector\": [1, 2, 3]}", "line 3: vector has 3 components, expected 6 as on line 1"},
      {"{\"vector\": []}", "line 3: \"vector\" must be a non-empty array"},
      {"{\"vector\": [1, 2, 3, 4, 5, 6], \"id\": -1}", "line 3: \"id\" must be a non-negative"},
      {"{\"vector\": [1, 2, 3, 4, 5, 6], \"id\": 2.5}", "line 3: \"id\" must be a non-negative"},
      {"{\"vector\": [1, 2, 3, 4, 5, 6], \"payload\": [1]}",
       "line 3: \"payload\" must be a JSON object"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line3);
    const std::string path = Write("bad.jsonl", ok + c.line3 + "\n" + ok);
    const Status s = ReadError(path);
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.message(), HasSubstr(path + " " + c.message));
  }
}

TEST_F(VectorFileTest, JsonlBinaryErrors) {
  const std::string ok = "{\"binary\": \"0123456789abcdef\"}\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"binary\": \"0123456789abcdeg\"}",
       "line 2: \"binary\" has a non-hex character 'g' at "
       "position 15"},
      {"{\"binary\": \"0123456789abcde\"}", "line 2: \"binary\" has an odd number of hex digits"},
      {"{\"binary\": \"\"}", "line 2: \"binary\" is empty"},
      {"{\"binary\": 12}", "line 2: \"binary\" must be a hex string"},
      {"{\"binary\": \"0123\"}", "line 2: vector has 2 bytes, expected 8 as on line 1"},
      {"{\"vector\": [1, 2]}", "line 2: missing \"binary\"; the collection is binary"},
  };
  for (const auto& [line2, message] : cases) {
    SCOPED_TRACE(line2);
    const std::string path = Write("bad.jsonl", ok + line2 + "\n");
    const Status s = ReadError(path, Binary());
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr(path + " " + message));
  }
}

TEST_F(VectorFileTest, FormatFromNameOrOption) {
  const std::string bytes = VecsBytes<float>({{1, 2}});
  const std::string odd = Write("vectors.bin", bytes);
  auto by_name = VectorFileReader::Open(odd, {});
  ASSERT_FALSE(by_name.ok());
  EXPECT_EQ(by_name.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(by_name.status().message(), HasSubstr(odd + ": cannot tell the vector file format"));

  auto named = OpenOk(odd, Format("fvecs"));
  ASSERT_NE(named, nullptr);
  EXPECT_EQ(ReadAll(named.get()).size(), 1u);

  auto upper = OpenOk(Write("UPPER.FVECS", bytes));
  ASSERT_NE(upper, nullptr);
  EXPECT_EQ(upper->format(), "fvecs");

  auto unknown = VectorFileReader::Open(odd, Format("csv"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown vector file format 'csv'"));

  auto missing = VectorFileReader::Open((dir_ / "nope.fvecs").string(), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);

  auto directory = VectorFileReader::Open((dir_).string(), Format("jsonl"));
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(directory.status().message(), HasSubstr("is a directory"));
}

}  // namespace
}  // namespace alike::cli
