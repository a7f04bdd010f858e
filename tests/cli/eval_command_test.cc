#include "cli/eval_command.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "embed/face_embedder.h"
#include "embed/model_dir.h"
#include "testing/cli.h"
#include "testing/temp_dir.h"

namespace alike::cli {
namespace {

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(EvalTest, ReadsLfwPairsAndDealsFolds) {
  test::TempDir dir;
  const std::string file = dir.Sub("pairs.txt");
  Write(file,
        "2\t2\nA\t1\t2\nB\t1\t3\nA\t1\tB\t2\nC\t4\tD\t1\n"
        "E\t1\t2\nF\t2\t3\nE\t1\tF\t1\nG\t1\tH\t10\n");
  auto pairs = ReadLfwPairs(file, "/img", 2);  // the file's two sets are the folds
  ASSERT_TRUE(pairs.ok()) << pairs.status().ToString();
  ASSERT_EQ(pairs->size(), 8u);
  EXPECT_EQ((*pairs)[0].a, "/img/A/A_0001.jpg");
  EXPECT_EQ((*pairs)[0].b, "/img/A/A_0002.jpg");
  EXPECT_TRUE((*pairs)[0].same);
  EXPECT_EQ((*pairs)[3].a, "/img/C/C_0004.jpg");
  EXPECT_EQ((*pairs)[3].b, "/img/D/D_0001.jpg");
  EXPECT_FALSE((*pairs)[3].same);
  EXPECT_EQ((*pairs)[7].b, "/img/H/H_0010.jpg");
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ((*pairs)[i].fold, i < 4 ? 0 : 1) << i;

  pairs = ReadLfwPairs(file, "/img", 4);  // dealt: each fold one same and one different pair
  ASSERT_TRUE(pairs.ok());
  std::vector<int> same(4), different(4);
  for (const FacePair& p : *pairs) ++(p.same ? same : different)[p.fold];
  EXPECT_EQ(same, std::vector<int>(4, 1));
  EXPECT_EQ(different, std::vector<int>(4, 1));

  Write(file, "1\t2\nA\t1\t2\nB\t1\n");
  pairs = ReadLfwPairs(file, "/img", 10);
  ASSERT_FALSE(pairs.ok());
  EXPECT_NE(pairs.status().message().find("pairs.txt:3"), std::string::npos)
      << pairs.status().ToString();
  EXPECT_FALSE(ReadLfwPairs(dir.Sub("absent.txt"), "/img", 10).ok());
}

TEST(EvalTest, ReadsDeepfacePairs) {
  test::TempDir dir;
  Write(dir.Sub("master.csv"), "file_x,file_y,Decision\r\na.jpg,b.jpg,Yes\r\na.jpg,c.jpg,No\r\n");
  auto pairs = ReadDeepfacePairs(dir.path(), 2);
  ASSERT_TRUE(pairs.ok()) << pairs.status().ToString();
  ASSERT_EQ(pairs->size(), 2u);
  EXPECT_EQ((*pairs)[0].a, dir.Sub("a.jpg"));
  EXPECT_TRUE((*pairs)[0].same);
  EXPECT_FALSE((*pairs)[1].same);
  Write(dir.Sub("master.csv"), "file_x,file_y,Decision\na.jpg,b.jpg,Maybe\n");
  EXPECT_FALSE(ReadDeepfacePairs(dir.path(), 2).ok());
}

TEST(EvalTest, CrossValidationChoosesTheThresholdOnTheOtherFolds) {
  std::vector<FacePair> pairs;
  std::vector<double> distance;
  for (int fold = 0; fold < 3; ++fold) {
    for (int i = 0; i < 4; ++i) {
      pairs.push_back({"a", "b", true, fold});
      distance.push_back(0.1 + 0.01 * i);
      pairs.push_back({"a", "c", false, fold});
      distance.push_back(0.5 + 0.01 * i);
    }
  }
  // One missing face in fold 2: judged "different", which is wrong for a same pair.
  pairs.push_back({"a", "missing", true, 2});
  distance.push_back(std::numeric_limits<double>::infinity());
  const std::vector<FoldResult> folds = CrossValidate(pairs, distance);
  ASSERT_EQ(folds.size(), 3u);
  for (const FoldResult& f : folds) {
    EXPECT_GT(f.threshold, 0.13);
    EXPECT_LT(f.threshold, 0.5);
  }
  EXPECT_DOUBLE_EQ(folds[0].accuracy, 1.0);
  EXPECT_EQ(folds[2].pairs, 9u);
  EXPECT_DOUBLE_EQ(folds[2].accuracy, 8.0 / 9);
}

// `alike eval lfw` end to end on four real LFW pairs.
TEST(EvalTest, EvaluatesLfwPairsFromTheCommandLine) {
  const std::string lfw = std::string(ALIKE_SHARED_DIR) + "/data/faces/lfw-fold1";
  if (!std::filesystem::is_directory(lfw)) GTEST_SKIP() << lfw << " is absent";
  if (!embed::FaceEmbedder::Installed(embed::DefaultModelDir())) {
    GTEST_SKIP() << "the face models are not installed: run scripts/setup.sh";
  }
  test::TempDir dir;
  Write(dir.Sub("pairs.txt"),
        "1\t2\nAbel_Pacheco\t1\t4\nAkhmed_Zakayev\t1\t3\n"
        "Abdel_Madi_Shabneh\t1\tDean_Barker\t1\nAbdel_Madi_Shabneh\t1\tGiancarlo_Fisichella\t1\n");
  const test::RunResult r = test::RunAlike(
      dir, "--json eval lfw " + dir.Sub("pairs.txt") + " " + lfw + "/images --folds 2 -j 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["pairs"], 4);
  EXPECT_EQ(j["images"], 7);
  EXPECT_EQ(j["detected"], 7);
  EXPECT_EQ(j["folds"], 2);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 1.0);
  EXPECT_GT(j["embed_ms_per_face"].get<double>(), 0);

  const test::RunResult bad = test::RunAlike(
      dir, "eval lfw " + dir.Sub("pairs.txt") + " " + lfw + "/images --detector nope");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown face detector"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace alike::cli
