// The deepface test photos (../shared/data/faces/deepface) and their labels: master.csv lists
// pairs of photos judged the same person ("Yes") or not ("No"); the "Yes" pairs join photos
// into persons. Photos in no pair are unlabelled.
#ifndef ALIKE_TESTS_TESTING_DEEPFACE_H_
#define ALIKE_TESTS_TESTING_DEEPFACE_H_

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace alike::test {

struct DeepFacePair {
  std::string a, b;  // file names
  bool same = false;
};

struct DeepFace {
  std::string dir;
  std::vector<std::string> photos;  // every .jpg, sorted by name
  std::vector<DeepFacePair> pairs;
  std::map<std::string, std::string> person;  // labelled file name -> its person's first file

  std::string Path(const std::string& file) const { return dir + "/" + file; }
  // Labelled photos of the person of `file`, itself included.
  std::vector<std::string> SamePerson(const std::string& file) const {
    std::vector<std::string> out;
    for (const auto& [f, p] : person) {
      if (p == person.at(file)) out.push_back(f);
    }
    return out;
  }
  // Photos labelled a different person from `file` by a "No" pair.
  std::set<std::string> Different(const std::string& file) const {
    std::set<std::string> out;
    for (const DeepFacePair& p : pairs) {
      if (p.same) continue;
      if (p.a == file) out.insert(p.b);
      if (p.b == file) out.insert(p.a);
    }
    return out;
  }
};

// Lexically normal, as the library stores paths.
inline std::string DeepFaceDir() {
  return std::filesystem::path(std::string(ALIKE_SHARED_DIR) + "/data/faces/deepface")
      .lexically_normal()
      .string();
}

// Empty `dir` when the data is absent.
inline DeepFace LoadDeepFace() {
  DeepFace d;
  const std::string dir = DeepFaceDir();
  std::ifstream csv(dir + "/master.csv");
  if (!csv) return d;
  d.dir = dir;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".jpg") d.photos.push_back(e.path().filename().string());
  }
  std::sort(d.photos.begin(), d.photos.end());
  std::string line;
  std::getline(csv, line);  // header
  std::map<std::string, std::string> parent;
  auto root = [&](std::string x) {
    while (parent.count(x) && parent[x] != x) x = parent[x];
    return x;
  };
  while (std::getline(csv, line)) {
    std::istringstream in(line);
    DeepFacePair p;
    std::string decision;
    std::getline(in, p.a, ',');
    std::getline(in, p.b, ',');
    std::getline(in, decision);
    p.same = decision.rfind("Yes", 0) == 0;
    d.pairs.push_back(p);
    for (const std::string& f : {p.a, p.b}) {
      if (!parent.count(f)) parent[f] = f;
    }
    if (p.same) {
      const std::string ra = root(p.a), rb = root(p.b);
      parent[std::max(ra, rb)] = std::min(ra, rb);
    }
  }
  for (const DeepFacePair& p : d.pairs) {
    if (p.same) {
      d.person[p.a] = root(p.a);
      d.person[p.b] = root(p.b);
    }
  }
  return d;
}

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_DEEPFACE_H_
