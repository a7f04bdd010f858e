// The `alike vectors` commands, run as a user runs them: the real binary, real files.
#include "testing/cli.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace alike {
namespace {

using test::JsonLines;
using test::RunAlike;

void WriteFvecs(const std::string& path, const std::vector<std::vector<float>>& vectors) {
  std::ofstream out(path, std::ios::binary);
  for (const auto& v : vectors) {
    int32_t d = static_cast<int32_t>(v.size());
    out.write(reinterpret_cast<const char*>(&d), 4);
    out.write(reinterpret_cast<const char*>(v.data()), v.size() * 4);
  }
}

TEST(CliTest, CreateUpsertSearchFilterDeleteAndExport) {
  test::TempDir dir;
  ASSERT_EQ(RunAlike(dir, "vectors create shoes --dim 3 --metric l2").exit_code, 0);
  std::ofstream(dir.Sub("v.jsonl")) << R"({"id":1,"vector":[1,0,0],"payload":{"brand":"a"}})"
                                       "\n"
                                    << R"({"id":2,"vector":[0,1,0],"payload":{"brand":"b"}})"
                                       "\n"
                                    << "\n"
                                    << R"({"id":3,"vector":[0,0,1]})"
                                       "\n";
  auto up = RunAlike(dir, "--json vectors upsert shoes " + dir.Sub("v.jsonl"));
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(JsonLines(up.out).at(0)["count"], 3);

  auto search = RunAlike(dir, "--json vectors search shoes --vector 0.9,0.1,0 -k 2");
  ASSERT_EQ(search.exit_code, 0) << search.err;
  auto hits = JsonLines(search.out).at(0)["hits"];
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0]["id"], 1);
  EXPECT_EQ(hits[0]["payload"]["brand"], "a");

  auto filtered =
      RunAlike(dir, "--json vectors search shoes --vector 0.9,0.1,0 --filter '{\"brand\":\"b\"}'");
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  hits = JsonLines(filtered.out).at(0)["hits"];
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0]["id"], 2);

  auto by_id = RunAlike(dir, "--json vectors search shoes --id 3 -k 1");
  EXPECT_EQ(JsonLines(by_id.out).at(0)["hits"][0]["id"], 3);

  ASSERT_EQ(RunAlike(dir, "vectors delete shoes 1").exit_code, 0);
  auto exported = JsonLines(RunAlike(dir, "vectors export shoes").out);
  ASSERT_EQ(exported.size(), 2u);
  EXPECT_EQ(exported[0]["id"], 2);
  EXPECT_EQ(exported[0]["vector"], nlohmann::json::parse("[0.0,1.0,0.0]"));

  auto info = RunAlike(dir, "--json vectors info shoes");
  EXPECT_EQ(JsonLines(info.out).at(0)["count"], 2);
  EXPECT_EQ(RunAlike(dir, "vectors compact shoes").exit_code, 0);
  EXPECT_EQ(RunAlike(dir, "vectors snapshot " + dir.Sub("snap")).exit_code, 0);
  auto snap = RunAlike(dir, "--json vectors info shoes", dir.Sub("snap"));
  EXPECT_EQ(JsonLines(snap.out).at(0)["count"], 2) << snap.err;
}

TEST(CliTest, FvecsFilesAndBatchQueries) {
  test::TempDir dir;
  ASSERT_EQ(RunAlike(dir, "vectors create v --dim 2 --metric l2 --index flat").exit_code, 0);
  WriteFvecs(dir.Sub("base.fvecs"), {{0, 0}, {1, 0}, {0, 1}, {5, 5}});
  ASSERT_EQ(
      RunAlike(dir, "vectors upsert v " + dir.Sub("base.fvecs") + " --first-id 100").exit_code, 0);
  WriteFvecs(dir.Sub("q.fvecs"), {{5, 4.9f}, {0.9f, 0}});
  auto r = RunAlike(dir, "--json vectors search v --queries " + dir.Sub("q.fvecs") + " -k 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["hits"][0]["id"], 103);
  EXPECT_EQ(lines[1]["hits"][0]["id"], 101);
}

TEST(CliTest, ErrorsNameTheProblemAndChangeNothing) {
  test::TempDir dir;
  ASSERT_EQ(RunAlike(dir, "vectors create v --dim 3").exit_code, 0);
  std::ofstream(dir.Sub("bad.jsonl")) << R"({"id":1,"vector":[1,2,3]})"
                                         "\n"
                                      << R"({"id":2,"vector":[1,2]})"
                                         "\n";
  auto r = RunAlike(dir, "vectors upsert v " + dir.Sub("bad.jsonl"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 2: vector has 2 components, expected 3"), std::string::npos) << r.err;
  EXPECT_EQ(JsonLines(RunAlike(dir, "--json vectors info v").out).at(0)["count"], 0);

  WriteFvecs(dir.Sub("t.fvecs"), {{1, 2, 3}});
  {
    std::ofstream append(dir.Sub("t.fvecs"), std::ios::binary | std::ios::app);
    int32_t d = 3;
    append.write(reinterpret_cast<const char*>(&d), 4);
    append.write("\0\0\0\0", 4);  // truncated second vector
  }
  r = RunAlike(dir, "vectors upsert v " + dir.Sub("t.fvecs"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;

  r = RunAlike(dir, "vectors search v --vector 1,2,3 --filter '{\"a\":{\"$gtt\":1}}'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("$gtt"), std::string::npos) << r.err;

  r = RunAlike(dir, "vectors search missing --vector 1,2,3");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no collection 'missing'"), std::string::npos) << r.err;

  r = RunAlike(dir, "vectors search v --vector 1,nan,3");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("NaN"), std::string::npos) << r.err;

  r = RunAlike(dir, "vectors create v --dim 3");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;

  EXPECT_NE(RunAlike(dir, "vectors bogus").exit_code, 0);
}

// A bulk upsert ends with a checkpoint, so that later commands load the graph instead of
// rebuilding it from the log; a small one after it stays in the log.
TEST(CliTest, BulkUpsertIsCheckpointedAndASmallOneIsLogged) {
  test::TempDir dir;
  ASSERT_EQ(RunAlike(dir, "vectors create big --dim 512").exit_code, 0);
  std::vector<std::vector<float>> vectors(1000, std::vector<float>(512));
  for (size_t i = 0; i < vectors.size(); ++i) {
    for (size_t j = 0; j < 512; ++j) vectors[i][j] = float((i * 31 + j * 17) % 101) - 50;
  }
  WriteFvecs(dir.Sub("bulk.fvecs"), vectors);  // 2 MiB of vectors
  ASSERT_EQ(RunAlike(dir, "vectors upsert big " + dir.Sub("bulk.fvecs")).exit_code, 0);
  auto info = JsonLines(RunAlike(dir, "--json vectors info big").out).at(0);
  EXPECT_LT(info["log_bytes"].get<uint64_t>(), 1024u) << info.dump();
  EXPECT_EQ(info["count"], 1000);

  WriteFvecs(dir.Sub("few.fvecs"), {vectors.begin(), vectors.begin() + 10});
  ASSERT_EQ(
      RunAlike(dir, "vectors upsert big " + dir.Sub("few.fvecs") + " --first-id 1000").exit_code,
      0);
  info = JsonLines(RunAlike(dir, "--json vectors info big").out).at(0);
  EXPECT_GT(info["log_bytes"].get<uint64_t>(), 10u * 512 * 4) << info.dump();
  EXPECT_EQ(info["count"], 1010);
}

}  // namespace
}  // namespace alike
