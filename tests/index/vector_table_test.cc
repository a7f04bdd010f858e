#include "index/vector_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <vector>

#include "testing/temp_dir.h"

namespace alike::index {
namespace {

constexpr size_t kCodeSize = 8;
constexpr uint64_t kHeader = 64;  // the map starts past a header, as a checkpoint's codes do

std::vector<uint8_t> CodeOf(uint32_t slot, uint8_t salt) {
  std::vector<uint8_t> code(kCodeSize);
  for (size_t i = 0; i < kCodeSize; ++i) code[i] = static_cast<uint8_t>(slot * 7 + i + salt);
  return code;
}

std::vector<uint8_t> Read(const VectorTable& table, uint32_t slot) {
  return {table.code(slot), table.code(slot) + kCodeSize};
}

// A file of `header` junk bytes, then the codes of slots [0, slots) with `salt`.
std::string WriteCodes(const test::TempDir& dir, uint32_t slots, uint8_t salt) {
  const std::string path = dir.Sub("codes");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << std::string(kHeader, 'h');
  for (uint32_t s = 0; s < slots; ++s) {
    auto code = CodeOf(s, salt);
    out.write(reinterpret_cast<const char*>(code.data()), kCodeSize);
  }
  return path;
}

TEST(VectorTableTest, MappedSlotsReadTheFileAndLaterWritesStayInMemory) {
  test::TempDir dir;
  VectorTable table(kCodeSize);
  table.Reserve(120);
  for (uint32_t s = 0; s < 100; ++s) table.Set(s, CodeOf(s, 0).data());
  const size_t memory_before = table.MemoryBytes();

  // The file holds slots [0, 100) (salt 1 tells its codes apart from the memory's).
  const std::string path = WriteCodes(dir, 100, 1);
  auto map = MappedFile::Map(path, kHeader, 100 * kCodeSize);
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  table.MapSlots(std::move(*map), 100);
  EXPECT_EQ(table.mapped_slots(), 100u);
  EXPECT_EQ(table.capacity(), 100u);
  EXPECT_EQ(table.MappedBytes(), 100 * kCodeSize);
  EXPECT_LT(table.MemoryBytes(), memory_before);
  for (uint32_t s = 0; s < 100; ++s) ASSERT_EQ(Read(table, s), CodeOf(s, 1)) << s;

  // New slots go to memory, growing it slot by slot as a stream of inserts does.
  for (uint32_t s = 100; s < 1000; ++s) {
    table.Reserve(s + 1);
    table.Set(s, CodeOf(s, 2).data());
  }
  // A reused mapped slot is overlaid in memory; the file is never written.
  table.Set(7, CodeOf(7, 3).data());
  for (uint32_t s = 0; s < 1000; ++s) {
    ASSERT_EQ(Read(table, s), CodeOf(s, s == 7 ? 3 : s < 100 ? 1 : 2)) << s;
  }
  EXPECT_EQ(reinterpret_cast<uintptr_t>(table.code(100)) % 64, 0u);
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(kHeader + 7 * kCodeSize));
  std::vector<uint8_t> on_disk(kCodeSize);
  in.read(reinterpret_cast<char*>(on_disk.data()), kCodeSize);
  EXPECT_EQ(on_disk, CodeOf(7, 1));

  // A later, longer map replaces the overlay and the memory.
  const std::string longer = WriteCodes(dir, 1000, 4);
  map = MappedFile::Map(longer, kHeader, 1000 * kCodeSize);
  ASSERT_TRUE(map.ok());
  table.MapSlots(std::move(*map), 1000);
  for (uint32_t s = 0; s < 1000; ++s) ASSERT_EQ(Read(table, s), CodeOf(s, 4)) << s;
  EXPECT_EQ(table.MemoryBytes(), 0u);
}

TEST(VectorTableTest, MapRefusesRangesPastTheEndOfTheFile) {
  test::TempDir dir;
  const std::string path = WriteCodes(dir, 10, 0);
  EXPECT_FALSE(MappedFile::Map(path, kHeader, 11 * kCodeSize).ok());
  EXPECT_FALSE(MappedFile::Map(path, kHeader + 10 * kCodeSize + 1, 0).ok());
  EXPECT_FALSE(MappedFile::Map(dir.Sub("missing"), 0, 1).ok());
  auto empty = MappedFile::Map(path, kHeader, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)->size(), 0u);
}

}  // namespace
}  // namespace alike::index
