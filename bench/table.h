// A plain-text table with aligned columns: the first column left-aligned, the others right-aligned,
// so that numbers line up on their last digit.
#ifndef ALIKE_BENCH_TABLE_H_
#define ALIKE_BENCH_TABLE_H_

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace alike::bench {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}

  // A row with fewer cells than the header is padded with empty ones.
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }

  void Print(std::FILE* out, const std::string& indent = "  ") const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace alike::bench

#endif  // ALIKE_BENCH_TABLE_H_
