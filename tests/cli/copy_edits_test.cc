// The edits `alike eval copies` makes: their geometry, their strength ranges, and the set builder's
// determinism.
#include "cli/copy_edits.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <set>

namespace alike::cli {
namespace {

// A picture with structure everywhere, so that moved or lost pixels show.
cv::Mat TestPicture(int width, int height) {
  cv::Mat m(height, width, CV_8UC3);
  cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::GaussianBlur(m, m, cv::Size(), 2);
  return m;
}

Edit MakeEdit(EditFamily family, double amount, uint64_t seed = 7) {
  return Edit{.family = family, .amount = amount, .seed = seed};
}

double Difference(const cv::Mat& a, const cv::Mat& b) { return cv::norm(a, b, cv::NORM_L1); }

TEST(CopyEditsTest, ResizeScalesBothSides) {
  const cv::Mat in = TestPicture(400, 300);
  EXPECT_EQ(ApplyEdit(in, MakeEdit(EditFamily::kResize, 0.25)).size(), cv::Size(100, 75));
  EXPECT_EQ(ApplyEdit(in, MakeEdit(EditFamily::kResize, 2.0)).size(), cv::Size(800, 600));
}

TEST(CopyEditsTest, CropsKeepTheRestOfTheAreaAndComeFromThePicture) {
  const cv::Mat in = TestPicture(400, 300);
  for (const double cut : {0.1, 0.2, 0.45, 0.5}) {
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      const cv::Mat out = ApplyEdit(in, MakeEdit(EditFamily::kCropLarge, cut, seed));
      const double kept = double(out.total()) / double(in.total());
      EXPECT_NEAR(kept, 1 - cut, 0.01) << cut;
      // The crop is a window of the picture: found somewhere in it (up to matchTemplate's float
      // rounding; a window one pixel off differs by tens of levels squared per pixel).
      cv::Mat score;
      cv::matchTemplate(in, out, score, cv::TM_SQDIFF);
      double best = 0;
      cv::minMaxLoc(score, &best);
      EXPECT_LT(best / double(out.total()), 0.05) << cut << " seed " << seed;
    }
  }
}

TEST(CopyEditsTest, QuarterTurnsSwapTheSidesAndUndo) {
  const cv::Mat in = TestPicture(40, 30);
  const cv::Mat ccw = ApplyEdit(in, MakeEdit(EditFamily::kRotate90, 1));
  EXPECT_EQ(ccw.size(), cv::Size(30, 40));
  cv::Mat back;
  cv::rotate(ccw, back, cv::ROTATE_90_CLOCKWISE);
  EXPECT_EQ(Difference(back, in), 0);
  EXPECT_EQ(ApplyEdit(in, MakeEdit(EditFamily::kRotate90, 2)).size(), in.size());
  EXPECT_EQ(ApplyEdit(in, MakeEdit(EditFamily::kRotate90, 3)).size(), cv::Size(30, 40));
}

TEST(CopyEditsTest, SmallRotationsGrowTheCanvasToHoldThePicture) {
  const cv::Mat in = TestPicture(400, 300);
  for (const double degrees : {5.0, -10.0, 15.0}) {
    const cv::Mat out = ApplyEdit(in, MakeEdit(EditFamily::kRotate, degrees));
    const double r = std::abs(degrees) * CV_PI / 180;
    EXPECT_NEAR(out.cols, 400 * std::cos(r) + 300 * std::sin(r), 1.5) << degrees;
    EXPECT_NEAR(out.rows, 400 * std::sin(r) + 300 * std::cos(r), 1.5) << degrees;
    // The centre stays where it was, and the corners of the canvas are the black fill.
    const cv::Vec3b centre = out.at<cv::Vec3b>(out.rows / 2, out.cols / 2);
    EXPECT_LE(cv::norm(centre, in.at<cv::Vec3b>(150, 200)), 30) << degrees;
    EXPECT_EQ(out.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));
  }
}

TEST(CopyEditsTest, BordersFrameTheUntouchedPicture) {
  const cv::Mat in = TestPicture(400, 300);
  const cv::Mat out = ApplyEdit(in, MakeEdit(EditFamily::kBorder, 0.2));
  EXPECT_EQ(out.rows, 300 + 24 + 36);
  EXPECT_GE(out.cols, 400);
  EXPECT_LE(out.cols, 400 + 2 * 20);
  const int side = (out.cols - 400) / 2;
  EXPECT_EQ(Difference(out(cv::Rect(side, 24, 400, 300)), in), 0);
}

TEST(CopyEditsTest, APastedCopySitsWholeInsideItsHostAtTheDrawnShare) {
  const cv::Mat in = TestPicture(400, 300), host = TestPicture(600, 600);
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const cv::Mat out = ApplyEdit(in, MakeEdit(EditFamily::kPictureInPicture, 0.5, seed), host);
    EXPECT_EQ(out.size(), host.size());
    // The width binds: 300 x 225 pixels of the picture, shrunk, somewhere in the host.
    cv::Mat shrunk, score;
    cv::resize(in, shrunk, cv::Size(300, 225), 0, 0, cv::INTER_AREA);
    cv::matchTemplate(out, shrunk, score, cv::TM_SQDIFF);
    double best = 0;
    cv::Point at;
    cv::minMaxLoc(score, &best, nullptr, &at);
    EXPECT_LT(best / double(shrunk.total()), 0.05) << seed;
    // The rest is the host's.
    cv::Mat outside = out.clone(), host_outside = host.clone();
    outside(cv::Rect(at, shrunk.size())).setTo(0);
    host_outside(cv::Rect(at, shrunk.size())).setTo(0);
    EXPECT_EQ(Difference(outside, host_outside), 0) << seed;
  }
  // Without a host, a grey canvas of the picture's size.
  EXPECT_EQ(ApplyEdit(in, MakeEdit(EditFamily::kPictureInPicture, 0.5)).size(), in.size());
}

TEST(CopyEditsTest, ThumbnailsFitTheDrawnSide) {
  const cv::Mat in = TestPicture(400, 300);
  EXPECT_EQ(ApplyEdit(in, MakeEdit(EditFamily::kThumbnail, 80)).size(), cv::Size(80, 60));
  EXPECT_EQ(ApplyEdit(in, MakeEdit(EditFamily::kThumbnail, 64)).size(), cv::Size(64, 48));
}

TEST(CopyEditsTest, SameSizeEditsChangeThePixelsAsTheySay) {
  const cv::Mat in = TestPicture(400, 300);
  cv::Mat mirrored;
  cv::flip(in, mirrored, 1);
  EXPECT_EQ(Difference(ApplyEdit(in, MakeEdit(EditFamily::kFlip, 0)), mirrored), 0);
  cv::flip(in, mirrored, 0);
  EXPECT_EQ(Difference(ApplyEdit(in, MakeEdit(EditFamily::kFlip, 1)), mirrored), 0);
  EXPECT_EQ(Difference(ApplyEdit(in, MakeEdit(EditFamily::kJpeg, 30)), in), 0);  // saved later

  for (const EditFamily family : {EditFamily::kColour, EditFamily::kBlur, EditFamily::kOverlay}) {
    const cv::Mat out = ApplyEdit(in, MakeEdit(family, family == EditFamily::kBlur ? 2 : 0.1));
    EXPECT_EQ(out.size(), in.size());
    EXPECT_GT(Difference(out, in), 0);
  }
  // An overlay covers a part of the picture, not all of it.
  cv::Mat changed;
  cv::absdiff(ApplyEdit(in, MakeEdit(EditFamily::kOverlay, 0.1)), in, changed);
  cv::cvtColor(changed, changed, cv::COLOR_BGR2GRAY);
  const double share = cv::countNonZero(changed) / double(in.total());
  EXPECT_GT(share, 0.01);
  EXPECT_LT(share, 0.4);
}

TEST(CopyEditsTest, DrawnStrengthsStayInTheirFamilysRange) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    EXPECT_GE(DrawEdit(EditFamily::kResize, rng).amount, 0.25);
    EXPECT_LE(DrawEdit(EditFamily::kResize, rng).amount, 2.0);
    const Edit jpeg = DrawEdit(EditFamily::kJpeg, rng);
    EXPECT_GE(jpeg.jpeg_quality, 10);
    EXPECT_LE(jpeg.jpeg_quality, 95);
    const double crop = DrawEdit(EditFamily::kCrop, rng).amount;
    EXPECT_TRUE(crop >= 0.1 && crop <= 0.2) << crop;
    const double large = DrawEdit(EditFamily::kCropLarge, rng).amount;
    EXPECT_TRUE(large >= 0.4 && large <= 0.5) << large;
    const double turn = std::abs(DrawEdit(EditFamily::kRotate, rng).amount);
    EXPECT_TRUE(turn >= 5 && turn <= 10) << turn;
    const double quarters = DrawEdit(EditFamily::kRotate90, rng).amount;
    EXPECT_TRUE(quarters == 1 || quarters == 2 || quarters == 3) << quarters;
  }
}

TEST(CopyEditsTest, FamiliesParseByName) {
  for (const EditFamilyInfo& info : EditFamilies()) {
    auto parsed = ParseEditFamily(info.name);
    ASSERT_TRUE(parsed.ok()) << info.name;
    EXPECT_EQ(*parsed, info.family);
  }
  auto bad = ParseEditFamily("sepia");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("crop-large"), std::string::npos);
}

std::vector<std::string> Photos(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("photo" + std::to_string(i) + ".jpg");
  return out;
}

TEST(CopyEditsTest, TheSetFollowsFromTheSeed) {
  const CopySetOptions options{.seed = 11,
                               .per_family = 5,
                               .held_out = 3,
                               .families = {EditFamily::kResize, EditFamily::kCrop}};
  const CopySet a = BuildCopySet(Photos(20), options);
  std::vector<std::string> reversed = Photos(20);
  std::reverse(reversed.begin(), reversed.end());
  const CopySet b = BuildCopySet(reversed, options);  // the photos' order does not matter
  EXPECT_EQ(a.originals, b.originals);
  EXPECT_EQ(a.held_out, b.held_out);
  ASSERT_EQ(a.copies.size(), 10u);
  ASSERT_EQ(b.copies.size(), 10u);
  for (size_t i = 0; i < a.copies.size(); ++i) {
    EXPECT_EQ(a.copies[i].original, b.copies[i].original);
    EXPECT_EQ(a.copies[i].edit.amount, b.copies[i].edit.amount);
    EXPECT_EQ(a.copies[i].edit.seed, b.copies[i].edit.seed);
    EXPECT_EQ(a.copies[i].edit.family, i < 5 ? EditFamily::kResize : EditFamily::kCrop);
  }
  // Held-out photos are never originals; a family's copies come from distinct originals.
  EXPECT_EQ(a.held_out.size(), 3u);
  EXPECT_EQ(a.originals.size(), 17u);
  for (const std::string& h : a.held_out) {
    EXPECT_EQ(std::count(a.originals.begin(), a.originals.end(), h), 0);
  }
  std::set<size_t> resized;
  for (size_t i = 0; i < 5; ++i) resized.insert(a.copies[i].original);
  EXPECT_EQ(resized.size(), 5u);

  CopySetOptions other = options;
  other.seed = 12;
  const CopySet c = BuildCopySet(Photos(20), other);
  EXPECT_TRUE(c.held_out != a.held_out || c.copies[0].edit.amount != a.copies[0].edit.amount);
}

TEST(CopyEditsTest, SmallSetsKeepHalfTheirPhotosAsOriginals) {
  const CopySet set =
      BuildCopySet(Photos(4), {.per_family = 10, .held_out = 8, .families = {EditFamily::kJpeg}});
  EXPECT_EQ(set.held_out.size(), 2u);
  EXPECT_EQ(set.originals.size(), 2u);
  EXPECT_EQ(set.copies.size(), 2u);  // one per original
}

}  // namespace
}  // namespace alike::cli
