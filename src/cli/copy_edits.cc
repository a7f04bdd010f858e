#include "cli/copy_edits.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image/decoder.h"
#include "image/pixels.h"
#include "library/file_walker.h"

namespace alike::cli {
namespace {

double Uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

int UniformInt(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

double RandomSign(std::mt19937_64& rng) { return UniformInt(rng, 0, 1) == 0 ? -1.0 : 1.0; }

// Keeps a window of 1 - `cut` of the area, its aspect ratio moved up to 15% from the picture's,
// anywhere in the picture.
cv::Mat Crop(const cv::Mat& in, double cut, std::mt19937_64& rng) {
  const double side = std::sqrt(1 - cut);
  const double ratio = Uniform(rng, std::max(0.85, side), std::min(1.15, 1 / side));
  const int w = std::max(1, int(std::lround(in.cols * side * ratio)));
  const int h = std::max(1, int(std::lround(in.rows * side / ratio)));
  const int x = UniformInt(rng, 0, in.cols - std::min(w, in.cols));
  const int y = UniformInt(rng, 0, in.rows - std::min(h, in.rows));
  return in(cv::Rect(x, y, std::min(w, in.cols), std::min(h, in.rows))).clone();
}

// Contrast, brightness and saturation each moved by up to `strength`, in random directions.
cv::Mat ShiftColour(const cv::Mat& in, double strength, std::mt19937_64& rng) {
  const double contrast = 1 + RandomSign(rng) * strength;
  const double brightness = RandomSign(rng) * 100 * strength;
  const double saturation = 1 + RandomSign(rng) * 2 * strength;
  cv::Mat out;
  in.convertTo(out, -1, contrast, brightness + 128 * (1 - contrast));
  cv::Mat hsv;
  cv::cvtColor(out, hsv, cv::COLOR_BGR2HSV);
  std::array<cv::Mat, 3> channels;
  cv::split(hsv, channels);
  channels[1].convertTo(channels[1], -1, saturation);
  cv::merge(channels, hsv);
  cv::cvtColor(hsv, out, cv::COLOR_HSV2BGR);
  return out;
}

// A line of text and a round logo with a letter, half transparent, where re-posters put them.
cv::Mat Overlay(const cv::Mat& in, double text_height, std::mt19937_64& rng) {
  static constexpr std::array<const char*, 5> kTexts = {"(c) 2024 alike photo", "SALE -50% TODAY",
                                                        "reposted by @user_1234", "www.example.com",
                                                        "DO NOT COPY"};
  cv::Mat out = in.clone();
  const std::string text = kTexts[UniformInt(rng, 0, int(kTexts.size()) - 1)];
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const double px = text_height * in.rows;
  const double scale = px / 22.0;  // the font is about 22 pixels high at scale 1
  const int thickness = std::max(1, int(std::lround(px / 10)));
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, font, scale, thickness, &baseline);
  const cv::Point at(UniformInt(rng, 0, std::max(0, in.cols - size.width)),
                     UniformInt(rng, size.height, std::max(size.height, in.rows - baseline)));
  const cv::Scalar colour(UniformInt(rng, 0, 255), UniformInt(rng, 0, 255),
                          UniformInt(rng, 0, 255));
  cv::putText(out, text, at, font, scale, cv::Scalar::all(0), thickness + 2, cv::LINE_AA);
  cv::putText(out, text, at, font, scale, colour, thickness, cv::LINE_AA);

  const int radius = std::max(4, int(std::lround(1.5 * px)));
  const bool right = UniformInt(rng, 0, 1) == 1, bottom = UniformInt(rng, 0, 1) == 1;
  const cv::Point centre(right ? in.cols - radius * 3 / 2 : radius * 3 / 2,
                         bottom ? in.rows - radius * 3 / 2 : radius * 3 / 2);
  cv::Mat logo = out.clone();
  cv::circle(logo, centre, radius, cv::Scalar(40, 40, 220), cv::FILLED, cv::LINE_AA);
  cv::putText(logo, "A", centre + cv::Point(-radius / 2, radius / 2), font, radius / 16.0,
              cv::Scalar::all(255), std::max(1, radius / 6), cv::LINE_AA);
  cv::addWeighted(logo, 0.6, out, 0.4, 0, out);
  return out;
}

// A screenshot's frame: a status bar above, a bar of buttons below and margins at the sides, in
// a light or a dark theme; `bars` is their share of the picture's height.
cv::Mat Border(const cv::Mat& in, double bars, std::mt19937_64& rng) {
  const bool dark = UniformInt(rng, 0, 1) == 1;
  const cv::Scalar background = dark ? cv::Scalar::all(18) : cv::Scalar::all(245);
  const int top = int(std::lround(in.rows * bars * 0.4));
  const int bottom = int(std::lround(in.rows * bars * 0.6));
  const int side = int(std::lround(in.cols * Uniform(rng, 0, 0.05)));
  cv::Mat out;
  cv::copyMakeBorder(in, out, top, bottom, side, side, cv::BORDER_CONSTANT, background);
  // Something on the bars, as a real screenshot has: a clock and three buttons.
  const cv::Scalar ink = dark ? cv::Scalar::all(230) : cv::Scalar::all(30);
  const double scale = std::max(0.3, top / 40.0);
  cv::putText(out, "9:41", cv::Point(side + top / 2, top * 3 / 4), cv::FONT_HERSHEY_SIMPLEX, scale,
              ink, 1, cv::LINE_AA);
  const int y = out.rows - bottom / 2, r = std::max(2, bottom / 5);
  for (int i = 1; i <= 3; ++i) {
    cv::circle(out, cv::Point(out.cols * i / 4, y), r, ink, 2, cv::LINE_AA);
  }
  return out;
}

// `in` shrunk to `share` of the host's width or height (whichever binds) and pasted anywhere in
// it, as a collage, a news page or a screenshot of a feed shows a photo.
cv::Mat PasteInto(const cv::Mat& in, const cv::Mat& host, double share, std::mt19937_64& rng) {
  cv::Mat out = host.empty() ? cv::Mat(in.size(), in.type(), cv::Scalar::all(128)) : host.clone();
  const double scale = share * std::min(double(out.cols) / in.cols, double(out.rows) / in.rows);
  cv::Mat pasted;
  cv::resize(in, pasted, cv::Size(), scale, scale, cv::INTER_AREA);
  pasted = pasted(cv::Rect(0, 0, std::min(pasted.cols, out.cols), std::min(pasted.rows, out.rows)));
  const int x = UniformInt(rng, 0, out.cols - pasted.cols);
  const int y = UniformInt(rng, 0, out.rows - pasted.rows);
  pasted.copyTo(out(cv::Rect(x, y, pasted.cols, pasted.rows)));
  return out;
}

}  // namespace

const std::vector<EditFamilyInfo>& EditFamilies() {
  static const std::vector<EditFamilyInfo> kFamilies = {
      {EditFamily::kResize, "resize", "0.25-2x", EditTarget::kMild, 0.25, 2},
      {EditFamily::kJpeg, "jpeg", "quality 10-95", EditTarget::kMild, 10, 95, true},
      {EditFamily::kColour, "colour", "contrast/brightness/saturation 15-40%", EditTarget::kMild,
       0.15, 0.4},
      // 0: left-right, 1: upside down.
      {EditFamily::kFlip, "flip", "left-right or upside down", EditTarget::kMild, 0, 1, true},
      {EditFamily::kCrop, "crop", "10-20% of the area", EditTarget::kMild, 0.1, 0.2},
      {EditFamily::kRotate, "rotate", "5-10 degrees", EditTarget::kMild, 5, 10, false, true},
      {EditFamily::kOverlay, "overlay", "text 5-12% high + logo", EditTarget::kMild, 0.05, 0.12},
      {EditFamily::kCropLarge, "crop-large", "40-50% of the area", EditTarget::kHard, 0.4, 0.5},
      {EditFamily::kRotate90, "rotate90", "90, 180 or 270 degrees", EditTarget::kHard, 1, 3, true},
      {EditFamily::kRotateMore, "rotate-more", "10-15 degrees", EditTarget::kNone, 10, 15, false,
       true},
      {EditFamily::kBorder, "border", "screenshot bars 10-30% of the height", EditTarget::kNone,
       0.1, 0.3},
      {EditFamily::kBlur, "blur", "sigma 1-4", EditTarget::kNone, 1, 4},
      {EditFamily::kPictureInPicture, "pasted", "45-55% of another photo's size",
       EditTarget::kHardCase, 0.45, 0.55},
      {EditFamily::kCropThird, "crop-third", "33-37% of the area kept", EditTarget::kHardCase, 0.63,
       0.67},
      {EditFamily::kRotate15, "rotate15", "14-16 degrees", EditTarget::kHardCase, 14, 16, false,
       true},
      {EditFamily::kThumbnail, "thumbnail", "64-96 pixels a side", EditTarget::kHardCase, 64, 96,
       true},
  };
  return kFamilies;
}

const EditFamilyInfo& FamilyInfo(EditFamily family) {
  for (const EditFamilyInfo& info : EditFamilies()) {
    if (info.family == family) return info;
  }
  return EditFamilies().front();  // unreachable: every family is listed
}

Result<EditFamily> ParseEditFamily(const std::string& name) {
  std::string known;
  for (const EditFamilyInfo& info : EditFamilies()) {
    if (name == info.name) return info.family;
    known += (known.empty() ? "" : ", ") + std::string(info.name);
  }
  return Status::InvalidArgument("unknown edit family '" + name + "' (known: " + known + ")");
}

const char* TargetName(EditTarget target) {
  switch (target) {
    case EditTarget::kMild:
      return "mild";
    case EditTarget::kHard:
      return "hard";
    case EditTarget::kHardCase:
      return "hard+";
    case EditTarget::kNone:
      break;
  }
  return "-";
}

Edit DrawEdit(EditFamily family, std::mt19937_64& rng) {
  const EditFamilyInfo& info = FamilyInfo(family);
  Edit e{.family = family};
  e.amount = info.whole ? UniformInt(rng, int(info.low), int(info.high))
                        : Uniform(rng, info.low, info.high);
  if (info.either_sign) e.amount *= RandomSign(rng);
  if (family == EditFamily::kJpeg) e.jpeg_quality = int(e.amount);
  e.seed = rng();
  return e;
}

std::string DescribeEdit(const Edit& e) {
  char buf[96];
  switch (e.family) {
    case EditFamily::kResize:
      std::snprintf(buf, sizeof(buf), "resize %.2fx", e.amount);
      break;
    case EditFamily::kJpeg:
      std::snprintf(buf, sizeof(buf), "jpeg quality %d", e.jpeg_quality);
      break;
    case EditFamily::kColour:
      std::snprintf(buf, sizeof(buf), "colour shift %.0f%%", 100 * e.amount);
      break;
    case EditFamily::kFlip:
      std::snprintf(buf, sizeof(buf), "flip %s", e.amount == 0 ? "left-right" : "upside down");
      break;
    case EditFamily::kCrop:
    case EditFamily::kCropLarge:
    case EditFamily::kCropThird:
      std::snprintf(buf, sizeof(buf), "crop %.0f%% of the area", 100 * e.amount);
      break;
    case EditFamily::kRotate:
    case EditFamily::kRotateMore:
    case EditFamily::kRotate15:
      std::snprintf(buf, sizeof(buf), "rotate %.1f degrees", e.amount);
      break;
    case EditFamily::kRotate90:
      std::snprintf(buf, sizeof(buf), "rotate %d degrees", 90 * int(e.amount));
      break;
    case EditFamily::kOverlay:
      std::snprintf(buf, sizeof(buf), "overlay, text %.0f%% high", 100 * e.amount);
      break;
    case EditFamily::kBorder:
      std::snprintf(buf, sizeof(buf), "screenshot border, bars %.0f%%", 100 * e.amount);
      break;
    case EditFamily::kBlur:
      std::snprintf(buf, sizeof(buf), "blur sigma %.1f", e.amount);
      break;
    case EditFamily::kPictureInPicture:
      std::snprintf(buf, sizeof(buf), "pasted at %.0f%% into another photo", 100 * e.amount);
      break;
    case EditFamily::kThumbnail:
      std::snprintf(buf, sizeof(buf), "thumbnail %.0f px", e.amount);
      break;
  }
  return buf;
}

cv::Mat ApplyEdit(const cv::Mat& bgr, const Edit& e, const cv::Mat& host) {
  std::mt19937_64 rng(e.seed);
  cv::Mat out;
  switch (e.family) {
    case EditFamily::kResize:
      cv::resize(bgr, out, cv::Size(), e.amount, e.amount,
                 e.amount < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
      return out;
    case EditFamily::kJpeg:
      return bgr.clone();
    case EditFamily::kColour:
      return ShiftColour(bgr, e.amount, rng);
    case EditFamily::kFlip:
      cv::flip(bgr, out, e.amount == 0 ? 1 : 0);
      return out;
    case EditFamily::kCrop:
    case EditFamily::kCropLarge:
    case EditFamily::kCropThird:
      return Crop(bgr, e.amount, rng);
    case EditFamily::kRotate:
    case EditFamily::kRotateMore:
    case EditFamily::kRotate15:
      // A photo of a turned print or a rotated repost: corners black.
      return image::RotateOnGrownCanvas(bgr, e.amount);
    case EditFamily::kRotate90: {
      static constexpr std::array<cv::RotateFlags, 3> kTurns = {
          cv::ROTATE_90_COUNTERCLOCKWISE, cv::ROTATE_180, cv::ROTATE_90_CLOCKWISE};
      cv::rotate(bgr, out, kTurns[std::clamp(int(e.amount), 1, 3) - 1]);
      return out;
    }
    case EditFamily::kOverlay:
      return Overlay(bgr, e.amount, rng);
    case EditFamily::kBorder:
      return Border(bgr, e.amount, rng);
    case EditFamily::kBlur:
      cv::GaussianBlur(bgr, out, cv::Size(), e.amount);
      return out;
    case EditFamily::kPictureInPicture:
      return PasteInto(bgr, host, e.amount, rng);
    case EditFamily::kThumbnail:
      return image::ShrinkToFit(bgr, int(e.amount));
  }
  return bgr.clone();
}

std::vector<std::string> ImageFiles(const std::vector<std::string>& roots) {
  std::vector<std::string> out;
  for (const std::string& root : roots) {
    library::WalkFiles(
        root, [&](library::FoundFile f) { out.push_back(std::move(f.path)); },
        [](const std::string&, const std::string&) {}, nullptr);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

CopySet BuildCopySet(std::vector<std::string> photos, const CopySetOptions& options) {
  std::sort(photos.begin(), photos.end());
  std::mt19937_64 rng(options.seed);
  std::shuffle(photos.begin(), photos.end(), rng);
  CopySet set;
  // At least half the photos stay originals, so that a small set still has copies to make.
  const size_t held = std::min(options.held_out, photos.size() / 2);
  set.held_out.assign(photos.begin(), photos.begin() + held);
  set.originals.assign(photos.begin() + held, photos.end());
  if (set.originals.empty()) return set;
  // Consecutive originals for consecutive copies, across families: a family's copies come from
  // distinct originals, and every original is edited about equally often.
  size_t next = 0;
  const size_t per_family = std::min(options.per_family, set.originals.size());
  for (const EditFamily family : options.families) {
    for (size_t i = 0; i < per_family; ++i) {
      set.copies.push_back({next++ % set.originals.size(), DrawEdit(family, rng)});
    }
  }
  return set;
}

Result<std::vector<uint8_t>> EncodeCopy(const CopySet& set, const CopyQuery& query) {
  auto decode = [](const std::string& path) {
    return image::DecodeFile(path, {.min_short_side = kCopySourceSide * 3 / 4});
  };
  auto original = decode(set.originals[query.original]);
  if (!original.ok()) return original.status();
  cv::Mat host;
  if (query.edit.family == EditFamily::kPictureInPicture && !set.held_out.empty()) {
    auto decoded = decode(set.held_out[query.edit.seed % set.held_out.size()]);
    if (!decoded.ok()) return decoded.status();
    host = image::ShrinkToFit(decoded->bgr, kCopySourceSide);
  }
  const cv::Mat copy =
      ApplyEdit(image::ShrinkToFit(original->bgr, kCopySourceSide), query.edit, host);
  std::vector<uint8_t> bytes;
  if (!cv::imencode(".jpg", copy, bytes, {cv::IMWRITE_JPEG_QUALITY, query.edit.jpeg_quality})) {
    return Status::Internal("cannot encode the copy of " + set.originals[query.original]);
  }
  return bytes;
}

}  // namespace alike::cli
