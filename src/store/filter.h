// Payload filters: which records a search, a count or a delete considers.
//
// A filter is a JSON object, compiled once by Filter::Parse and then evaluated against many
// payloads (inside a graph search, once per visited node), so evaluation neither parses nor
// allocates. The language (docs/filters.md is the user-facing reference):
//
//   ""  or  {}                        matches every record
//   {"album": "2024"}                 equality; value a string, number, bool or null
//   {"year": {"$gte": 2000, "$lt": 2010}}
//                                     operators on one field, ANDed
//   {"a": 1, "b": 2}                  fields of one object, ANDed
//   {"$and": [f, ...]}  {"$or": [f, ...]}  {"$not": f}
//   {"exif.camera": "X100"}           dotted path: payload["exif"]["camera"]
//
// Field operators: $eq, $ne, $in [..], $nin [..], $gt, $gte, $lt, $lte, $exists true|false.
//   - Numbers compare numerically whatever their JSON spelling (1 == 1.0); integers compare
//     exactly against integers, so 64-bit ids work.
//   - $gt/$gte/$lt/$lte take a number or a string; strings compare bytewise, so ISO-8601 dates
//     order correctly. A value of another type than the operand never matches.
//   - Booleans equal only booleans (true != 1); null equals only an explicit null.
//   - When the payload field is an array, $eq, $in and the order operators match if any element
//     does ({"tags": "red"} matches {"tags": ["red", "blue"]}); $ne and $nin are their exact
//     negations (true when no element matches).
//   - A missing field (or a path through a non-object) fails every comparison; $ne, $nin and
//     {"$exists": false} are true for it.
//   - Paths cannot reach through arrays, and a field name containing '.' cannot be addressed.
//
// Malformed filters fail with Status::InvalidArgument and a message naming the problem and the
// field, e.g. "filter: unknown operator '$gtt' at field 'year'". JSON nested deeper than
// Filter::kMaxDepth levels is refused, so hostile input cannot exhaust the stack.
//
// Thread-safety: a Filter is immutable after construction; Matches may run on many threads.
#ifndef ALIKE_STORE_FILTER_H_
#define ALIKE_STORE_FILTER_H_

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"

namespace alike::store {

class Filter {
 public:
  // Levels of JSON nesting (objects and arrays) a filter may use.
  static constexpr int kMaxDepth = 64;

  // A filter that matches everything.
  Filter() = default;

  // Parses and compiles filter text. Empty (or all-whitespace) text matches everything.
  static Result<Filter> Parse(std::string_view text);
  // Compiles an already-parsed filter.
  static Result<Filter> FromJson(const nlohmann::json& filter);

  // True when the filter accepts every payload, so callers can skip evaluating it.
  bool MatchesAll() const { return nodes_.empty(); }

  // Hot path: no allocation, no exceptions. A payload that is not an object has no fields.
  bool Matches(const nlohmann::json& payload) const;

 private:
  class Compiler;

  enum class Kind : uint8_t {
    kAnd,    // children: sub-filters; no children means true
    kOr,     // children: sub-filters
    kNot,    // one child
    kField,  // resolves paths_[path] once, then children: operators on that value, ANDed
    kOp,     // leaf under kField
  };
  enum class Op : uint8_t { kEq, kNe, kIn, kNin, kGt, kGte, kLt, kLte, kExists };

  // An operand, converted once so evaluation only compares.
  struct Constant {
    enum class Type : uint8_t { kNull, kBool, kNumber, kString };
    Type type = Type::kNull;
    bool boolean = false;
    // kNumber: `number` always; integers also exactly, as `bits` (an int64_t when `negative`,
    // else a uint64_t), so that integers beyond 2^53 compare exactly with integer payloads.
    bool integral = false;
    bool negative = false;
    uint64_t bits = 0;
    double number = 0;
    std::string string;
  };

  // Nodes are stored in pre-order: a node's children follow it, and `size` (the node and all
  // its descendants) skips to its next sibling. A flat vector keeps the tree compact, cheap to
  // copy and friendly to the cache.
  struct Node {
    Kind kind = Kind::kAnd;
    Op op = Op::kEq;
    uint32_t size = 1;
    uint32_t path = 0;   // kField: index into paths_
    uint32_t begin = 0;  // kOp: operands are constants_[begin, end)
    uint32_t end = 0;
  };

  bool Eval(uint32_t index, const nlohmann::json& payload) const;
  bool EvalOp(const Node& node, const nlohmann::json* value) const;
  bool EvalScalar(Op op, const Node& node, const nlohmann::json& value) const;

  std::vector<Node> nodes_;                      // empty: matches everything
  std::vector<std::vector<std::string>> paths_;  // dotted paths, split into keys
  std::vector<Constant> constants_;
};

}  // namespace alike::store

#endif  // ALIKE_STORE_FILTER_H_
