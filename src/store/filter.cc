#include "store/filter.h"

#include <cstddef>
#include <exception>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/json_depth.h"

namespace alike::store {
namespace {

using json = nlohmann::json;

constexpr int kUnordered = 2;  // a Compare* result: the values have no order (NaN)

Status Invalid(const std::string& what) { return Status::InvalidArgument("filter: " + what); }

std::string AtField(const std::string& field) { return " at field '" + field + "'"; }

std::string DepthError() {
  return "filter: nested deeper than " + std::to_string(Filter::kMaxDepth) + " levels";
}

int CompareDoubles(double a, double b) {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a == b) return 0;
  return kUnordered;
}

// Integers in sign-and-bits form: `bits` is an int64_t when `negative`, else a uint64_t. This
// covers both of nlohmann's integer types without a 128-bit type.
int CompareIntegers(bool a_negative, uint64_t a_bits, bool b_negative, uint64_t b_bits) {
  if (a_negative != b_negative) return a_negative ? -1 : 1;
  if (a_negative) {
    const auto a = static_cast<int64_t>(a_bits);
    const auto b = static_cast<int64_t>(b_bits);
    return a < b ? -1 : (a > b ? 1 : 0);
  }
  return a_bits < b_bits ? -1 : (a_bits > b_bits ? 1 : 0);
}

// Refuses deep nesting before nlohmann builds a DOM from it: the count is of '{' and '[' outside
// strings, the same levels FromJson counts.
Status CheckTextDepth(std::string_view text) {
  if (size_t at = FindJsonNestingOverflow(text, Filter::kMaxDepth); at != 0) {
    // Counted from 1, like the byte offsets nlohmann gives for syntax errors.
    return Status::InvalidArgument(DepthError() + " at byte " + std::to_string(at));
  }
  return Status::OK();
}

}  // namespace

// Turns a filter document into Filter's pre-order node vector. Every clause of a filter object
// becomes exactly one subtree, which lets an object with a single clause skip its kAnd node.
class Filter::Compiler {
 public:
  explicit Compiler(Filter* out) : out_(out) {}

  // `depth` is the JSON nesting level of `filter`, counted from 1 at the document root.
  Status Object(const json& filter, int depth) {
    if (depth > kMaxDepth) return Status::InvalidArgument(DepthError());
    if (filter.size() == 1) return Clause(filter.begin().key(), filter.begin().value(), depth);
    const uint32_t node = Begin(Kind::kAnd);
    for (const auto& [key, value] : filter.items()) {
      ALIKE_RETURN_IF_ERROR(Clause(key, value, depth));
    }
    End(node);
    return Status::OK();
  }

 private:
  Status Clause(const std::string& key, const json& value, int depth) {
    if (key == "$and" || key == "$or") return Logical(key, value, depth);
    if (key == "$not") {
      if (!value.is_object()) return Invalid("$not needs a JSON object");
      const uint32_t node = Begin(Kind::kNot);
      ALIKE_RETURN_IF_ERROR(Object(value, depth + 1));
      End(node);
      return Status::OK();
    }
    if (!key.empty() && key[0] == '$') {
      return Invalid("unknown operator '" + key +
                     "' (a filter object holds field names, $and, $or or $not)");
    }
    return Field(key, value, depth);
  }

  Status Logical(const std::string& name, const json& list, int depth) {
    if (!list.is_array() || list.empty()) return Invalid(name + " needs a non-empty array");
    if (depth + 1 > kMaxDepth) return Status::InvalidArgument(DepthError());
    const uint32_t node = Begin(name == "$and" ? Kind::kAnd : Kind::kOr);
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_object()) {
        return Invalid(name + " element " + std::to_string(i) + " must be a JSON object");
      }
      ALIKE_RETURN_IF_ERROR(Object(list[i], depth + 2));
    }
    End(node);
    return Status::OK();
  }

  Status Field(const std::string& field, const json& value, int depth) {
    uint32_t path = 0;
    ALIKE_RETURN_IF_ERROR(AddPath(field, &path));
    const uint32_t node = Begin(Kind::kField);
    out_->nodes_[node].path = path;
    if (value.is_object()) {
      if (value.empty()) return Invalid("empty operator object" + AtField(field));
      if (depth + 1 > kMaxDepth) return Status::InvalidArgument(DepthError());
      for (const auto& [op, arg] : value.items()) {
        ALIKE_RETURN_IF_ERROR(Operator(field, op, arg, depth + 1));
      }
    } else {
      if (!IsScalar(value)) {
        return Invalid("value must be a string, number, bool or null" + AtField(field) +
                       " (use $in for a list of values)");
      }
      AddOp(Op::kEq, {&value, 1});
    }
    End(node);
    return Status::OK();
  }

  Status Operator(const std::string& field, const std::string& name, const json& arg, int depth) {
    static constexpr std::pair<std::string_view, Op> kOps[] = {
        {"$eq", Op::kEq},   {"$ne", Op::kNe},   {"$in", Op::kIn},
        {"$nin", Op::kNin}, {"$gt", Op::kGt},   {"$gte", Op::kGte},
        {"$lt", Op::kLt},   {"$lte", Op::kLte}, {"$exists", Op::kExists}};
    const Op* op = nullptr;
    for (const auto& [op_name, value] : kOps) {
      if (name == op_name) op = &value;
    }
    if (op == nullptr) {
      if (!name.empty() && name[0] == '$') {
        return Invalid("unknown operator '" + name + "'" + AtField(field));
      }
      // Most likely an attempt to reach into a nested object; point at the dotted syntax.
      return Invalid("unknown operator '" + name + "'" + AtField(field) +
                     " (to match a nested field write '" + field + "." + name + "')");
    }
    switch (*op) {
      case Op::kEq:
      case Op::kNe:
        if (!IsScalar(arg)) {
          return Invalid(name + " needs a string, number, bool or null" + AtField(field));
        }
        AddOp(*op, {&arg, 1});
        return Status::OK();
      case Op::kIn:
      case Op::kNin: {
        if (!arg.is_array()) return Invalid(name + " needs an array" + AtField(field));
        if (depth + 1 > kMaxDepth) return Status::InvalidArgument(DepthError());
        const json::array_t& values = *arg.get_ptr<const json::array_t*>();
        for (const json& v : values) {
          if (!IsScalar(v)) {
            return Invalid(name + " values must be strings, numbers, bools or null" +
                           AtField(field));
          }
        }
        AddOp(*op, {values.data(), values.size()});
        return Status::OK();
      }
      case Op::kGt:
      case Op::kGte:
      case Op::kLt:
      case Op::kLte:
        if (!arg.is_number() && !arg.is_string()) {
          return Invalid(name + " needs a number or a string" + AtField(field));
        }
        AddOp(*op, {&arg, 1});
        return Status::OK();
      case Op::kExists:
        if (!arg.is_boolean()) return Invalid("$exists needs true or false" + AtField(field));
        AddOp(*op, {&arg, 1});
        return Status::OK();
    }
    return Status::Internal("filter: unhandled operator '" + name + "'");
  }

  Status AddPath(const std::string& field, uint32_t* index) {
    std::vector<std::string> keys;
    size_t start = 0;
    while (true) {
      const size_t dot = field.find('.', start);
      const size_t end = dot == std::string::npos ? field.size() : dot;
      if (end == start) {
        return Invalid(field.empty() ? std::string("empty field name")
                                     : "empty segment in field '" + field + "'");
      }
      keys.emplace_back(field, start, end - start);
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    auto& paths = out_->paths_;
    for (size_t i = 0; i < paths.size(); ++i) {
      if (paths[i] == keys) {
        *index = static_cast<uint32_t>(i);
        return Status::OK();
      }
    }
    *index = static_cast<uint32_t>(paths.size());
    paths.push_back(std::move(keys));
    return Status::OK();
  }

  void AddOp(Op op, std::span<const json> operands) {
    const uint32_t node = Begin(Kind::kOp);
    Node& n = out_->nodes_[node];
    n.op = op;
    n.begin = static_cast<uint32_t>(out_->constants_.size());
    for (const json& v : operands) out_->constants_.push_back(ToConstant(v));
    n.end = static_cast<uint32_t>(out_->constants_.size());
  }

  static bool IsScalar(const json& v) {
    return v.is_string() || v.is_number() || v.is_boolean() || v.is_null();
  }

  static Constant ToConstant(const json& v) {
    Constant c;
    switch (v.type()) {
      case json::value_t::boolean:
        c.type = Constant::Type::kBool;
        c.boolean = *v.get_ptr<const json::boolean_t*>();
        break;
      case json::value_t::number_integer: {
        const int64_t x = *v.get_ptr<const json::number_integer_t*>();
        c.type = Constant::Type::kNumber;
        c.integral = true;
        c.negative = x < 0;
        c.bits = static_cast<uint64_t>(x);
        c.number = static_cast<double>(x);
        break;
      }
      case json::value_t::number_unsigned: {
        const uint64_t x = *v.get_ptr<const json::number_unsigned_t*>();
        c.type = Constant::Type::kNumber;
        c.integral = true;
        c.bits = x;
        c.number = static_cast<double>(x);
        break;
      }
      case json::value_t::number_float:
        c.type = Constant::Type::kNumber;
        c.number = *v.get_ptr<const json::number_float_t*>();
        break;
      case json::value_t::string:
        c.type = Constant::Type::kString;
        c.string = *v.get_ptr<const json::string_t*>();
        break;
      default:  // null; other types were refused by the caller
        break;
    }
    return c;
  }

  uint32_t Begin(Kind kind) {
    out_->nodes_.push_back(Node{.kind = kind});
    return static_cast<uint32_t>(out_->nodes_.size() - 1);
  }
  void End(uint32_t node) {
    out_->nodes_[node].size = static_cast<uint32_t>(out_->nodes_.size() - node);
  }

  Filter* out_;
};

Result<Filter> Filter::Parse(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Filter();
  ALIKE_RETURN_IF_ERROR(CheckTextDepth(text));
  try {
    const json parsed = json::parse(text);
    return FromJson(parsed);
  } catch (const json::parse_error& e) {
    // what() reads "[json.exception.parse_error.101] parse error at line 1, column 5: <why>";
    // the byte offset already says where, so keep only the why.
    std::string why = e.what();
    const size_t colon = why.find(": ");
    if (colon != std::string::npos) why.erase(0, colon + 2);
    return Status::InvalidArgument("filter: invalid JSON at byte " + std::to_string(e.byte) + ": " +
                                   why);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("filter: ") + e.what());
  }
}

Result<Filter> Filter::FromJson(const nlohmann::json& filter) {
  if (!filter.is_object()) return Invalid("must be a JSON object");
  Filter out;
  if (filter.empty()) return out;
  try {
    ALIKE_RETURN_IF_ERROR(Compiler(&out).Object(filter, 1));
  } catch (const std::exception& e) {  // std::bad_alloc while building nodes
    return Status::Internal(std::string("filter: ") + e.what());
  }
  return out;
}

bool Filter::Matches(const nlohmann::json& payload) const {
  return nodes_.empty() || Eval(0, payload);
}

bool Filter::Eval(uint32_t index, const nlohmann::json& payload) const {
  const Node& node = nodes_[index];
  const uint32_t end = index + node.size;
  switch (node.kind) {
    case Kind::kAnd:
      for (uint32_t child = index + 1; child < end; child += nodes_[child].size) {
        if (!Eval(child, payload)) return false;
      }
      return true;
    case Kind::kOr:
      for (uint32_t child = index + 1; child < end; child += nodes_[child].size) {
        if (Eval(child, payload)) return true;
      }
      return false;
    case Kind::kNot:
      return !Eval(index + 1, payload);
    case Kind::kField: {
      const json* value = &payload;
      for (const std::string& key : paths_[node.path]) {
        if (!value->is_object()) {
          value = nullptr;
          break;
        }
        const auto it = value->find(key);
        if (it == value->end()) {
          value = nullptr;
          break;
        }
        value = &*it;
      }
      for (uint32_t op = index + 1; op < end; ++op) {
        if (!EvalOp(nodes_[op], value)) return false;
      }
      return true;
    }
    case Kind::kOp:
      break;  // only reached through kField
  }
  return false;
}

// `value` is null when the field is missing.
bool Filter::EvalOp(const Node& node, const nlohmann::json* value) const {
  // $ne and $nin are evaluated as the negation of $eq and $in, which keeps "any element of an
  // array" and "missing field" consistent between an operator and its opposite.
  Op positive = node.op;
  bool negate = false;
  switch (node.op) {
    case Op::kExists:
      return (value != nullptr) == constants_[node.begin].boolean;
    case Op::kNe:
      positive = Op::kEq;
      negate = true;
      break;
    case Op::kNin:
      positive = Op::kIn;
      negate = true;
      break;
    default:
      break;
  }
  bool matched = false;
  if (value != nullptr) {
    if (value->is_array()) {
      for (const json& element : *value->get_ptr<const json::array_t*>()) {
        if (EvalScalar(positive, node, element)) {
          matched = true;
          break;
        }
      }
    } else {
      matched = EvalScalar(positive, node, *value);
    }
  }
  return matched != negate;
}

namespace {

// Compares a payload value with a kNumber constant: -1, 0, 1, or kUnordered (not a number, NaN).
int CompareNumber(const json& value, bool integral, bool negative, uint64_t bits, double number) {
  switch (value.type()) {
    case json::value_t::number_integer: {
      const int64_t x = *value.get_ptr<const json::number_integer_t*>();
      if (integral) return CompareIntegers(x < 0, static_cast<uint64_t>(x), negative, bits);
      return CompareDoubles(static_cast<double>(x), number);
    }
    case json::value_t::number_unsigned: {
      const uint64_t x = *value.get_ptr<const json::number_unsigned_t*>();
      if (integral) return CompareIntegers(false, x, negative, bits);
      return CompareDoubles(static_cast<double>(x), number);
    }
    case json::value_t::number_float:
      return CompareDoubles(*value.get_ptr<const json::number_float_t*>(), number);
    default:
      return kUnordered;
  }
}

}  // namespace

// Applies a positive operator ($eq, $in or an order operator) with node's operands to one
// non-array value.
bool Filter::EvalScalar(Op op, const Node& node, const nlohmann::json& value) const {
  const auto compare = [&value](const Constant& c) {
    if (c.type == Constant::Type::kNumber) {
      return CompareNumber(value, c.integral, c.negative, c.bits, c.number);
    }
    if (c.type == Constant::Type::kString) {
      const auto* s = value.get_ptr<const json::string_t*>();
      if (s == nullptr) return kUnordered;
      const int r = s->compare(c.string);
      return r < 0 ? -1 : (r > 0 ? 1 : 0);
    }
    return kUnordered;
  };
  const auto equals = [&value, &compare](const Constant& c) {
    switch (c.type) {
      case Constant::Type::kNull:
        return value.is_null();
      case Constant::Type::kBool: {
        const auto* b = value.get_ptr<const json::boolean_t*>();
        return b != nullptr && *b == c.boolean;
      }
      case Constant::Type::kNumber:
      case Constant::Type::kString:
        return compare(c) == 0;
    }
    return false;
  };
  switch (op) {
    case Op::kEq:
      return equals(constants_[node.begin]);
    case Op::kIn:
      for (uint32_t i = node.begin; i < node.end; ++i) {
        if (equals(constants_[i])) return true;
      }
      return false;
    case Op::kGt:
      return compare(constants_[node.begin]) == 1;
    case Op::kGte: {
      const int r = compare(constants_[node.begin]);
      return r == 0 || r == 1;
    }
    case Op::kLt:
      return compare(constants_[node.begin]) == -1;
    case Op::kLte: {
      const int r = compare(constants_[node.begin]);
      return r == 0 || r == -1;
    }
    default:
      return false;  // negated and $exists operators are resolved by EvalOp
  }
}

}  // namespace alike::store
