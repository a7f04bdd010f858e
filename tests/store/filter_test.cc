#include "store/filter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace alike::store {
namespace {

using json = nlohmann::json;

// Compiles `filter` (failing the test if it does not compile) and applies it to `payload`.
bool Match(const std::string& filter, const std::string& payload) {
  Result<Filter> f = Filter::Parse(filter);
  EXPECT_TRUE(f.ok()) << filter << ": " << f.status().ToString();
  if (!f.ok()) return false;
  return f->Matches(json::parse(payload));
}

TEST(FilterTest, EmptyFilterMatchesEverything) {
  for (const char* text : {"", "  \n\t", "{}", " {} "}) {
    Result<Filter> f = Filter::Parse(text);
    ASSERT_TRUE(f.ok()) << text;
    EXPECT_TRUE(f->MatchesAll()) << text;
    EXPECT_TRUE(f->Matches(json::parse(R"({"a": 1})")));
    EXPECT_TRUE(f->Matches(json::object()));
  }
  EXPECT_TRUE(Filter().MatchesAll());
  EXPECT_TRUE(Filter().Matches(json::object()));
  // Trivially true, but not recognised as such: still correct.
  Result<Filter> nested = Filter::Parse(R"({"$and": [{}]})");
  ASSERT_TRUE(nested.ok());
  EXPECT_TRUE(nested->Matches(json::object()));
  EXPECT_FALSE(Match(R"({"$not": {}})", "{}"));
}

TEST(FilterTest, Equality) {
  EXPECT_TRUE(Match(R"({"album": "2024"})", R"({"album": "2024"})"));
  EXPECT_FALSE(Match(R"({"album": "2024"})", R"({"album": "2023"})"));
  EXPECT_FALSE(Match(R"({"album": "2024"})", R"({"album": 2024})"));
  EXPECT_TRUE(Match(R"({"n": 1})", R"({"n": 1.0})"));
  EXPECT_TRUE(Match(R"({"n": 1.0})", R"({"n": 1})"));
  EXPECT_TRUE(Match(R"({"n": -3})", R"({"n": -3.0})"));
  EXPECT_FALSE(Match(R"({"n": 1})", R"({"n": 1.5})"));
  EXPECT_TRUE(Match(R"({"ok": true})", R"({"ok": true})"));
  EXPECT_FALSE(Match(R"({"ok": true})", R"({"ok": 1})"));
  EXPECT_FALSE(Match(R"({"ok": false})", R"({"ok": 0})"));
  EXPECT_TRUE(Match(R"({"v": null})", R"({"v": null})"));
  EXPECT_FALSE(Match(R"({"v": null})", R"({})"));
  EXPECT_FALSE(Match(R"({"v": null})", R"({"v": 0})"));
  EXPECT_TRUE(Match(R"({"n": {"$eq": 2}})", R"({"n": 2.0})"));
  EXPECT_FALSE(Match(R"({"n": {"$eq": 2}})", R"({"n": "2"})"));
}

TEST(FilterTest, IntegersCompareExactly) {
  // 2^53 + 1 is not a double; it must not equal 2^53.
  EXPECT_TRUE(Match(R"({"id": 9007199254740993})", R"({"id": 9007199254740993})"));
  EXPECT_FALSE(Match(R"({"id": 9007199254740993})", R"({"id": 9007199254740992})"));
  EXPECT_TRUE(Match(R"({"id": 18446744073709551615})", R"({"id": 18446744073709551615})"));
  EXPECT_FALSE(Match(R"({"id": 18446744073709551615})", R"({"id": -1})"));
  EXPECT_TRUE(Match(R"({"id": {"$gt": 18446744073709551614}})", R"({"id": 18446744073709551615})"));
  EXPECT_TRUE(Match(R"({"x": {"$lt": 0}})", R"({"x": -5})"));
  EXPECT_FALSE(Match(R"({"x": {"$lt": 0}})", R"({"x": 5})"));
  EXPECT_TRUE(Match(R"({"x": {"$lt": -2}})", R"({"x": -9223372036854775808})"));
  EXPECT_TRUE(Match(R"({"x": {"$gt": -1.5}})", R"({"x": -1})"));
}

TEST(FilterTest, NotEqual) {
  EXPECT_TRUE(Match(R"({"a": {"$ne": 1}})", R"({"a": 2})"));
  EXPECT_FALSE(Match(R"({"a": {"$ne": 1}})", R"({"a": 1.0})"));
  EXPECT_TRUE(Match(R"({"a": {"$ne": 1}})", R"({"a": "1"})"));
  EXPECT_TRUE(Match(R"({"a": {"$ne": 1}})", R"({})"));
  EXPECT_FALSE(Match(R"({"tags": {"$ne": "red"}})", R"({"tags": ["blue", "red"]})"));
  EXPECT_TRUE(Match(R"({"tags": {"$ne": "red"}})", R"({"tags": ["blue"]})"));
  EXPECT_TRUE(Match(R"({"tags": {"$ne": "red"}})", R"({"tags": []})"));
}

TEST(FilterTest, InAndNotIn) {
  EXPECT_TRUE(Match(R"({"c": {"$in": ["a", "b"]}})", R"({"c": "b"})"));
  EXPECT_FALSE(Match(R"({"c": {"$in": ["a", "b"]}})", R"({"c": "x"})"));
  EXPECT_TRUE(Match(R"({"c": {"$in": [1, "x", null]}})", R"({"c": 1.0})"));
  EXPECT_TRUE(Match(R"({"c": {"$in": [1, "x", null]}})", R"({"c": null})"));
  EXPECT_FALSE(Match(R"({"c": {"$in": [1, "x", null]}})", R"({})"));
  EXPECT_FALSE(Match(R"({"c": {"$in": []}})", R"({"c": 1})"));
  EXPECT_TRUE(Match(R"({"tags": {"$in": ["x", "red"]}})", R"({"tags": ["blue", "red"]})"));
  EXPECT_FALSE(Match(R"({"c": {"$nin": ["a", "b"]}})", R"({"c": "a"})"));
  EXPECT_TRUE(Match(R"({"c": {"$nin": ["a", "b"]}})", R"({"c": "z"})"));
  EXPECT_TRUE(Match(R"({"c": {"$nin": ["a", "b"]}})", R"({})"));
  EXPECT_TRUE(Match(R"({"c": {"$nin": []}})", R"({"c": 1})"));
  EXPECT_FALSE(Match(R"({"tags": {"$nin": ["red"]}})", R"({"tags": ["blue", "red"]})"));
}

TEST(FilterTest, OrderOperators) {
  const std::string p = R"({"y": 2005})";
  EXPECT_TRUE(Match(R"({"y": {"$gt": 2004}})", p));
  EXPECT_FALSE(Match(R"({"y": {"$gt": 2005}})", p));
  EXPECT_TRUE(Match(R"({"y": {"$gte": 2005}})", p));
  EXPECT_FALSE(Match(R"({"y": {"$gte": 2005.5}})", p));
  EXPECT_TRUE(Match(R"({"y": {"$lt": 2005.5}})", p));
  EXPECT_FALSE(Match(R"({"y": {"$lt": 2005}})", p));
  EXPECT_TRUE(Match(R"({"y": {"$lte": 2005}})", p));
  EXPECT_FALSE(Match(R"({"y": {"$lte": 2004}})", p));
  EXPECT_TRUE(Match(R"({"y": {"$gte": 2000, "$lt": 2010}})", p));
  EXPECT_FALSE(Match(R"({"y": {"$gte": 2000, "$lt": 2005}})", p));
  // Type mismatches never match, in either direction.
  EXPECT_FALSE(Match(R"({"y": {"$gt": "1"}})", p));
  EXPECT_FALSE(Match(R"({"y": {"$lt": "3000"}})", p));
  EXPECT_FALSE(Match(R"({"y": {"$gt": 0}})", R"({"y": "5"})"));
  EXPECT_FALSE(Match(R"({"y": {"$gt": 0}})", R"({"y": true})"));
  EXPECT_FALSE(Match(R"({"y": {"$gt": 0}})", R"({"y": null})"));
  EXPECT_FALSE(Match(R"({"y": {"$gt": 0}})", R"({})"));
  // Strings compare bytewise, so ISO dates order by time.
  const std::string d = R"({"taken": "2021-06-30T12:00:00Z"})";
  EXPECT_TRUE(Match(R"({"taken": {"$gte": "2021-01-01", "$lt": "2022-01-01"}})", d));
  EXPECT_FALSE(Match(R"({"taken": {"$gte": "2021-07-01"}})", d));
  EXPECT_TRUE(Match(R"({"taken": {"$lte": "2021-06-30T12:00:00Z"}})", d));
  // Arrays: any element in range.
  EXPECT_TRUE(Match(R"({"s": {"$gt": 8}})", R"({"s": [1, 9, 3]})"));
  EXPECT_FALSE(Match(R"({"s": {"$gt": 9}})", R"({"s": [1, 9, 3]})"));
}

TEST(FilterTest, Exists) {
  EXPECT_TRUE(Match(R"({"a": {"$exists": true}})", R"({"a": null})"));
  EXPECT_TRUE(Match(R"({"a": {"$exists": true}})", R"({"a": []})"));
  EXPECT_FALSE(Match(R"({"a": {"$exists": true}})", R"({"b": 1})"));
  EXPECT_TRUE(Match(R"({"a": {"$exists": false}})", R"({"b": 1})"));
  EXPECT_FALSE(Match(R"({"a": {"$exists": false}})", R"({"a": 0})"));
  EXPECT_TRUE(Match(R"({"a.b": {"$exists": false}})", R"({"a": 5})"));
  EXPECT_TRUE(Match(R"({"a.b": {"$exists": true}})", R"({"a": {"b": false}})"));
}

TEST(FilterTest, ArrayFieldMatchesAnyElement) {
  EXPECT_TRUE(Match(R"({"tags": "red"})", R"({"tags": ["red", "blue"]})"));
  EXPECT_TRUE(Match(R"({"tags": "blue"})", R"({"tags": ["red", "blue"]})"));
  EXPECT_FALSE(Match(R"({"tags": "green"})", R"({"tags": ["red", "blue"]})"));
  EXPECT_FALSE(Match(R"({"tags": "red"})", R"({"tags": []})"));
  EXPECT_TRUE(Match(R"({"n": 2})", R"({"n": [1, 2.0]})"));
  // Only one level: an array inside the array is not searched.
  EXPECT_FALSE(Match(R"({"n": 2})", R"({"n": [[2]]})"));
}

TEST(FilterTest, DottedPaths) {
  const std::string p = R"({"exif": {"camera": "X100", "lens": {"mm": 23}}, "top": 1})";
  EXPECT_TRUE(Match(R"({"exif.camera": "X100"})", p));
  EXPECT_FALSE(Match(R"({"exif.camera": "X200"})", p));
  EXPECT_TRUE(Match(R"({"exif.lens.mm": {"$lt": 30}})", p));
  EXPECT_FALSE(Match(R"({"exif.lens.mm.x": 23})", p));
  EXPECT_FALSE(Match(R"({"top.x": 1})", p));
  EXPECT_FALSE(Match(R"({"exif.missing": "X100"})", p));
  EXPECT_TRUE(Match(R"({"exif.missing": {"$ne": "X100"}})", p));
  EXPECT_FALSE(Match(R"({"camera": "X100"})", p));
  // Paths do not reach through arrays.
  EXPECT_FALSE(Match(R"({"faces.name": "bo"})", R"({"faces": [{"name": "bo"}]})"));
}

TEST(FilterTest, MissingFields) {
  const std::string p = R"({"other": 1})";
  EXPECT_FALSE(Match(R"({"a": 1})", p));
  EXPECT_FALSE(Match(R"({"a": {"$in": [1, 2]}})", p));
  EXPECT_FALSE(Match(R"({"a": {"$gte": 0}})", p));
  EXPECT_FALSE(Match(R"({"a": {"$lte": "z"}})", p));
  EXPECT_TRUE(Match(R"({"a": {"$ne": 1}})", p));
  EXPECT_TRUE(Match(R"({"a": {"$nin": [1]}})", p));
  EXPECT_TRUE(Match(R"({"a": {"$exists": false}})", p));
}

TEST(FilterTest, NonObjectPayloadHasNoFields) {
  Result<Filter> eq = Filter::Parse(R"({"a": 1})");
  Result<Filter> absent = Filter::Parse(R"({"a": {"$exists": false}})");
  ASSERT_TRUE(eq.ok() && absent.ok());
  for (const json& p : {json(), json(1), json::array({1}), json("a")}) {
    EXPECT_FALSE(eq->Matches(p));
    EXPECT_TRUE(absent->Matches(p));
  }
}

TEST(FilterTest, LogicalOperators) {
  const std::string p = R"({"a": 1, "b": "x", "c": true})";
  EXPECT_TRUE(Match(R"({"a": 1, "b": "x"})", p));
  EXPECT_FALSE(Match(R"({"a": 1, "b": "y"})", p));
  EXPECT_TRUE(Match(R"({"$and": [{"a": 1}, {"c": true}]})", p));
  EXPECT_FALSE(Match(R"({"$and": [{"a": 1}, {"c": false}]})", p));
  EXPECT_TRUE(Match(R"({"$or": [{"a": 2}, {"b": "x"}]})", p));
  EXPECT_FALSE(Match(R"({"$or": [{"a": 2}, {"b": "y"}]})", p));
  EXPECT_TRUE(Match(R"({"$not": {"a": 2}})", p));
  EXPECT_FALSE(Match(R"({"$not": {"a": 1}})", p));
  EXPECT_TRUE(Match(R"({"$not": {"a": 1, "b": "y"}})", p));
  EXPECT_TRUE(Match(R"({"$or": [{"$and": [{"a": 1}, {"$not": {"b": "y"}}]}, {"zz": 1}]})", p));
  EXPECT_FALSE(Match(R"({"$or": [{"$and": [{"a": 1}, {"$not": {"b": "x"}}]}, {"zz": 1}]})", p));
  EXPECT_TRUE(Match(R"({"a": 1, "$or": [{"b": "q"}, {"c": true}], "$not": {"d": 1}})", p));
  EXPECT_FALSE(Match(R"({"a": 1, "$or": [{"b": "q"}, {"c": false}]})", p));
}

TEST(FilterTest, FromJsonMatchesParse) {
  json j = {{"year", {{"$gte", 2000}, {"$lt", 2010}}}, {"tags", "red"}};
  Result<Filter> a = Filter::FromJson(j);
  Result<Filter> b = Filter::Parse(j.dump());
  ASSERT_TRUE(a.ok() && b.ok());
  json p = {{"year", 2003}, {"tags", {"red", "x"}}};
  EXPECT_TRUE(a->Matches(p));
  EXPECT_TRUE(b->Matches(p));
  p["year"] = 2010;
  EXPECT_FALSE(a->Matches(p));
  EXPECT_FALSE(b->Matches(p));
}

TEST(FilterTest, CopiesAndMovesAreIndependent) {
  Filter copy;
  {
    Result<Filter> f = Filter::Parse(R"({"exif.camera": {"$in": ["X100", "GR"]}})");
    ASSERT_TRUE(f.ok());
    copy = *f;
  }
  EXPECT_FALSE(copy.MatchesAll());
  EXPECT_TRUE(copy.Matches(json::parse(R"({"exif": {"camera": "GR"}})")));
  Filter moved = std::move(copy);
  EXPECT_TRUE(moved.Matches(json::parse(R"({"exif": {"camera": "X100"}})")));
  EXPECT_FALSE(moved.Matches(json::parse(R"({"exif": {"camera": "Z"}})")));
}

TEST(FilterTest, ErrorsNameTheProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"year": {"$gtt": 5}})", "filter: unknown operator '$gtt' at field 'year'"},
      {R"({"tag": {"$in": "red"}})", "filter: $in needs an array at field 'tag'"},
      {R"({"tag": {"$nin": 3}})", "filter: $nin needs an array at field 'tag'"},
      {R"({"tag": {"$in": [[1]]}})", "$in values must be strings, numbers, bools or null at field"},
      {R"({"tag": {"$in": [{}]}})", "$in values must be strings"},
      {R"({"$and": []})", "filter: $and needs a non-empty array"},
      {R"({"$and": {}})", "filter: $and needs a non-empty array"},
      {R"({"$or": []})", "filter: $or needs a non-empty array"},
      {R"({"$or": "x"})", "filter: $or needs a non-empty array"},
      {R"({"$or": [{}, 3]})", "filter: $or element 1 must be a JSON object"},
      {R"({"$not": [{"a": 1}]})", "filter: $not needs a JSON object"},
      {R"({"$nor": [{"a": 1}]})", "filter: unknown operator '$nor'"},
      {R"({"a": [1, 2]})", "value must be a string, number, bool or null at field 'a'"},
      {R"({"a": {}})", "filter: empty operator object at field 'a'"},
      {R"({"exif": {"camera": "X100"}})", "unknown operator 'camera' at field 'exif'"},
      {R"({"exif": {"camera": "X100"}})", "'exif.camera'"},
      {R"({"a": {"$eq": [1]}})", "$eq needs a string, number, bool or null at field 'a'"},
      {R"({"a": {"$ne": {}}})", "$ne needs a string, number, bool or null at field 'a'"},
      {R"({"a": {"$gt": true}})", "$gt needs a number or a string at field 'a'"},
      {R"({"a": {"$lte": null}})", "$lte needs a number or a string at field 'a'"},
      {R"({"a": {"$exists": 1}})", "$exists needs true or false at field 'a'"},
      {R"({"a..b": 1})", "filter: empty segment in field 'a..b'"},
      {R"({".a": 1})", "empty segment in field '.a'"},
      {R"({"a.": 1})", "empty segment in field 'a.'"},
      {R"({"": 1})", "filter: empty field name"},
      {R"({"$and": [{"y": {"$gtt": 1}}]})", "unknown operator '$gtt' at field 'y'"},
      {R"([1, 2])", "filter: must be a JSON object"},
      {R"("a")", "filter: must be a JSON object"},
      {R"(null)", "filter: must be a JSON object"},
      {R"(3)", "filter: must be a JSON object"},
      {R"({"a": 1)", "filter: invalid JSON at byte"},
      {R"({"year": 20x})", "filter: invalid JSON at byte 12: "},
      {R"({"a": 1} extra)", "filter: invalid JSON at byte"},
  };
  for (const auto& [text, expected] : cases) {
    Result<Filter> f = Filter::Parse(text);
    ASSERT_FALSE(f.ok()) << text;
    EXPECT_EQ(f.status().code(), Status::Code::kInvalidArgument) << text;
    EXPECT_NE(f.status().message().find(expected), std::string::npos)
        << text << " gave: " << f.status().message();
  }
  // The JSON message is kept, without nlohmann's exception prefix.
  Result<Filter> bad = Filter::Parse(R"({"year": 20x})");
  EXPECT_EQ(bad.status().message().find("json.exception"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(Filter::FromJson(json::array()).ok());
}

// A chain of n $not around {}: n + 1 levels of JSON objects.
std::string NotChain(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += R"({"$not":)";
  s += "{}";
  s += std::string(n, '}');
  return s;
}

TEST(FilterTest, DeepNestingIsRefused) {
  // Exactly kMaxDepth levels pass, through either entry point.
  const std::string ok = NotChain(Filter::kMaxDepth - 1);
  Result<Filter> parsed = Filter::Parse(ok);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->Matches(json::object()), (Filter::kMaxDepth - 1) % 2 == 0);
  ASSERT_TRUE(Filter::FromJson(json::parse(ok)).ok());

  const std::string deep = NotChain(Filter::kMaxDepth);
  Result<Filter> too_deep = Filter::Parse(deep);
  ASSERT_FALSE(too_deep.ok());
  EXPECT_NE(too_deep.status().message().find("filter: nested deeper than 64 levels"),
            std::string::npos)
      << too_deep.status().message();
  // The first '{' past the limit: kMaxDepth openings of 8 bytes each precede it.
  EXPECT_NE(too_deep.status().message().find("at byte 513"), std::string::npos)
      << too_deep.status().message();
  Result<Filter> too_deep_json = Filter::FromJson(json::parse(deep));
  ASSERT_FALSE(too_deep_json.ok());
  EXPECT_NE(too_deep_json.status().message().find("nested deeper than 64 levels"),
            std::string::npos);

  // $and arrays and operator arrays count as levels too.
  std::string and_chain;
  for (int i = 0; i < 40; ++i) and_chain += R"({"$and": [)";
  and_chain += "{}";
  for (int i = 0; i < 40; ++i) and_chain += "]}";
  EXPECT_FALSE(Filter::Parse(and_chain).ok());
  EXPECT_FALSE(Filter::FromJson(json::parse(and_chain)).ok());

  // Hostile input is refused before a DOM is built, and without recursion.
  const std::string hostile = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  Result<Filter> h = Filter::Parse(hostile);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("nested deeper"), std::string::npos);
  json built = json::object();
  for (int i = 0; i < 10'000; ++i) built = json{{"$not", std::move(built)}};
  EXPECT_FALSE(Filter::FromJson(built).ok());
  // Brackets inside strings are not nesting.
  EXPECT_TRUE(Filter::Parse(R"({"a": ")" + std::string(200, '[') + R"(\"{"})").ok());
}

// ---- Randomised comparison against a direct interpreter of the filter document. ----

const json* RefLookup(const json& payload, const std::string& field) {
  const json* cur = &payload;
  size_t start = 0;
  while (true) {
    const size_t dot = field.find('.', start);
    const std::string key = field.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &cur->at(key);
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

bool RefComparable(const json& a, const json& b) {
  return (a.is_number() && b.is_number()) || (a.is_string() && b.is_string());
}

bool RefOp(const std::string& op, const json& arg, const json* value) {
  if (op == "$exists") return (value != nullptr) == arg.get<bool>();
  if (op == "$ne") return !RefOp("$eq", arg, value);
  if (op == "$nin") return !RefOp("$in", arg, value);
  if (value == nullptr) return false;
  std::vector<json> candidates;
  if (value->is_array()) {
    candidates = value->get<std::vector<json>>();
  } else {
    candidates.push_back(*value);
  }
  for (const json& v : candidates) {
    // nlohmann's own operators: numbers compare numerically across int/float, other types
    // only equal their own type.
    if (op == "$eq" && v == arg) return true;
    if (op == "$in") {
      for (const json& a : arg) {
        if (v == a) return true;
      }
    }
    if (RefComparable(v, arg)) {
      if (op == "$gt" && v > arg) return true;
      if (op == "$gte" && v >= arg) return true;
      if (op == "$lt" && v < arg) return true;
      if (op == "$lte" && v <= arg) return true;
    }
  }
  return false;
}

bool RefMatches(const json& filter, const json& payload) {
  for (const auto& [key, value] : filter.items()) {
    bool ok = true;
    if (key == "$and") {
      for (const json& f : value) ok = ok && RefMatches(f, payload);
    } else if (key == "$or") {
      ok = false;
      for (const json& f : value) ok = ok || RefMatches(f, payload);
    } else if (key == "$not") {
      ok = !RefMatches(value, payload);
    } else {
      const json* v = RefLookup(payload, key);
      if (value.is_object()) {
        for (const auto& [op, arg] : value.items()) ok = ok && RefOp(op, arg, v);
      } else {
        ok = RefOp("$eq", value, v);
      }
    }
    if (!ok) return false;
  }
  return true;
}

class RandomJson {
 public:
  explicit RandomJson(uint32_t seed) : rng_(seed) {}

  json Scalar() {
    static const json kPool[] = {
        0, 1, 1.0, 2, 2.5, -1, "a", "b", "2020-01-01", "2021-06-30", true, false, nullptr};
    return kPool[Pick(std::size(kPool))];
  }
  json ScalarOrArray() {
    if (Pick(4) != 0) return Scalar();
    json a = json::array();
    for (size_t i = Pick(4); i > 0; --i) a.push_back(Scalar());
    return a;
  }

  json Payload() {
    json p = json::object();
    for (const char* key : {"a", "b", "s", "tags"}) {
      if (Pick(5) != 0) p[key] = ScalarOrArray();
    }
    switch (Pick(4)) {
      case 0:
        break;
      case 1:
        p["n"] = Scalar();
        break;
      default: {
        json n = json::object();
        if (Pick(4) != 0) n["x"] = ScalarOrArray();
        if (Pick(4) != 0) n["y"] = Scalar();
        p["n"] = std::move(n);
      }
    }
    return p;
  }

  json Filter(int depth) {
    const size_t kind = depth >= 3 ? 0 : Pick(6);
    if (kind <= 2) {  // one or more field clauses
      json f = json::object();
      for (size_t i = 1 + (kind == 2 ? Pick(3) : 0); i > 0; --i) f[Field()] = FieldValue();
      return f;
    }
    if (kind == 5) return json{{"$not", Filter(depth + 1)}};
    json list = json::array();
    for (size_t i = 1 + Pick(3); i > 0; --i) list.push_back(Filter(depth + 1));
    return json{{kind == 3 ? "$and" : "$or", list}};
  }

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  std::string Field() {
    static const char* kFields[] = {"a", "b", "s", "tags", "n.x", "n.y", "n", "missing", "a.z"};
    return kFields[Pick(std::size(kFields))];
  }

  json FieldValue() {
    if (Pick(3) == 0) return Scalar();
    json ops = json::object();
    for (size_t i = 1 + Pick(2); i > 0; --i) {
      static const char* kOps[] = {"$eq",  "$ne", "$in",  "$nin",   "$gt",
                                   "$gte", "$lt", "$lte", "$exists"};
      const std::string op = kOps[Pick(std::size(kOps))];
      if (op == "$in" || op == "$nin") {
        json a = json::array();
        for (size_t k = Pick(4); k > 0; --k) a.push_back(Scalar());
        ops[op] = a;
      } else if (op == "$exists") {
        ops[op] = Pick(2) == 0;
      } else if (op[1] == 'g' || op[1] == 'l') {
        json v = Scalar();
        while (!v.is_number() && !v.is_string()) v = Scalar();
        ops[op] = v;
      } else {
        ops[op] = Scalar();
      }
    }
    return ops;
  }

  std::mt19937 rng_;
};

TEST(FilterTest, RandomisedAgainstReference) {
  RandomJson gen(20240611);
  std::vector<json> payloads;
  for (int i = 0; i < 200; ++i) payloads.push_back(gen.Payload());
  int matched = 0;
  int evaluated = 0;
  for (int i = 0; i < 1000; ++i) {
    const json filter = gen.Filter(0);
    Result<Filter> compiled = Filter::Parse(filter.dump());
    ASSERT_TRUE(compiled.ok()) << filter.dump() << ": " << compiled.status().ToString();
    for (const json& payload : payloads) {
      const bool expected = RefMatches(filter, payload);
      ASSERT_EQ(compiled->Matches(payload), expected)
          << "filter " << filter.dump() << "\npayload " << payload.dump();
      matched += expected;
      ++evaluated;
    }
  }
  // The generator should exercise both outcomes substantially.
  EXPECT_GT(matched, evaluated / 10);
  EXPECT_LT(matched, evaluated * 9 / 10);
}

TEST(FilterTest, TimingThreeClauses) {
  Result<Filter> f = Filter::Parse(
      R"({"year": {"$gte": 2000, "$lt": 2010}, "tags": "red", "exif.camera": "X100"})");
  ASSERT_TRUE(f.ok());
  std::vector<json> payloads;
  for (int i = 0; i < 1000; ++i) {
    payloads.push_back({{"year", 1990 + i % 30},
                        {"tags", i % 3 == 0 ? json{"red", "blue"} : json{"green"}},
                        {"exif", {{"camera", i % 2 == 0 ? "X100" : "GR"}, {"iso", 200}}},
                        {"title", "photo " + std::to_string(i)}});
  }
  constexpr int kRounds = 300;
  size_t hits = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < kRounds; ++r) {
    for (const json& p : payloads) hits += f->Matches(p);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double evals = static_cast<double>(kRounds) * payloads.size();
  std::cout << "[ timing   ] 3-clause filter: " << evals / seconds / 1e6 << " M evaluations/s ("
            << hits << " hits)\n";
  EXPECT_GT(hits, 0u);
}

}  // namespace
}  // namespace alike::store
