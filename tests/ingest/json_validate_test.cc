// ValidateJsonValue (iterative) against the recursive On-Demand walk the event parser used
// before: thousands of generated and mutated nested values, each inside an event line, must
// get the same verdict; and nesting far past the limit costs no stack (a small-stack thread).
#include "ingest/json_validate.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <simdjson.h>

#include <random>
#include <string>

namespace agx::json_detail {
namespace {

namespace od = simdjson::ondemand;

// The reference: the event parser's recursive walk, as it was (event_parser.cc history).
simdjson::error_code Recursive(od::value& v, int depth, int max_depth) {
  od::json_type t;
  if (auto err = v.type().get(t)) return err;
  switch (t) {
    case od::json_type::object: {
      if (depth >= max_depth) return simdjson::DEPTH_ERROR;
      od::object o;
      if (auto err = v.get_object().get(o)) return err;
      for (auto fr : o) {
        od::field f;
        std::string_view key;
        if (auto err = std::move(fr).get(f)) return err;
        if (auto err = f.unescaped_key().get(key)) return err;
        if (auto err = Recursive(f.value(), depth + 1, max_depth)) return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      if (depth >= max_depth) return simdjson::DEPTH_ERROR;
      od::array a;
      if (auto err = v.get_array().get(a)) return err;
      for (auto er : a) {
        od::value e;
        if (auto err = er.get(e)) return err;
        if (auto err = Recursive(e, depth + 1, max_depth)) return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      double d;
      if (v.get_double().get(d) == simdjson::SUCCESS) return simdjson::SUCCESS;
      std::string_view tok = v.raw_json_token();
      while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t')) tok.remove_suffix(1);
      return IsJsonNumberToken(tok) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b) ? simdjson::T_ATOM_ERROR : simdjson::SUCCESS;
    }
    case od::json_type::null: {
      bool is_null = false;
      const bool ok = v.is_null().get(is_null) == simdjson::SUCCESS && is_null;
      return ok ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

// The new way, as event_parser.cc's Validate does it for containers.
simdjson::error_code Iterative(od::value& v, int depth, int max_depth) {
  od::json_type t;
  if (auto err = v.type().get(t)) return err;
  std::string_view raw;
  if (t == od::json_type::object) {
    if (depth >= max_depth) return simdjson::DEPTH_ERROR;
    od::object o;
    if (auto err = v.get_object().get(o)) return err;
    if (auto err = o.raw_json().get(raw)) return err;
  } else if (t == od::json_type::array) {
    if (depth >= max_depth) return simdjson::DEPTH_ERROR;
    od::array a;
    if (auto err = v.get_array().get(a)) return err;
    if (auto err = a.raw_json().get(raw)) return err;
  } else {
    return Recursive(v, depth, max_depth);  // scalars: unchanged
  }
  return ValidateJsonValue(raw, depth, max_depth) == JsonCheck::kOk ? simdjson::SUCCESS
                                                                      : simdjson::TAPE_ERROR;
}

/// Whether the line {"x": value} passes, walking the value with `walk`.
template <class Walk>
bool LinePasses(const std::string& value, int max_depth, Walk walk) {
  od::parser parser;
  const simdjson::padded_string line("{\"x\":" + value + "}");
  od::document doc;
  if (parser.iterate(line).get(doc)) return false;
  od::object obj;
  if (doc.get_object().get(obj)) return false;
  for (auto fr : obj) {
    od::field f;
    if (std::move(fr).get(f)) return false;
    if (walk(f.value(), 1, max_depth)) return false;
  }
  std::string_view raw;
  if (doc.raw_json().get(raw)) return false;
  for (const char* p = raw.data() + raw.size(); p < line.data() + line.size(); ++p) {
    if (*p != ' ') return false;
  }
  return true;
}

std::string RandomValue(std::mt19937& rng, int depth) {
  static const char* kScalars[] = {"1", "-0.5e+3", "1e400", "0", "true", "false", "null",
                                   "\"a\"", "\"\\u00e9\\n\"", "\"\\ud83d\\ude00\"", "\"\"", "-12"};
  const unsigned r = rng() % 10;
  if (depth > 4 || r < 5) return kScalars[rng() % std::size(kScalars)];
  std::string out;
  const int n = static_cast<int>(rng() % 4);
  const bool object = r < 8;
  out += object ? "{" : "[";
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += ",";
    if (object) out += "\"k" + std::to_string(i) + "\":";
    out += RandomValue(rng, depth + 1);
  }
  out += object ? "}" : "]";
  return out;
}

TEST(JsonValidateTest, AgreesWithTheRecursiveWalkOnGeneratedAndMutatedValues) {
  std::mt19937 rng(42);
  const std::string bytes = "{}[],:\"\\ u0e.-+tfnlx9";
  int differ = 0, passed = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string v = RandomValue(rng, 0);
    if (v[0] != '{' && v[0] != '[') v = "[" + v + "]";
    if (round % 2 == 1) {
      const int edits = 1 + static_cast<int>(rng() % 2);
      for (int k = 0; k < edits; ++k) {
        const std::size_t pos = rng() % (v.size() + 1);
        const char c = bytes[rng() % bytes.size()];
        switch (rng() % 3) {
          case 0: v.insert(pos, 1, c); break;
          case 1: if (pos < v.size()) v[pos] = c; break;
          default: if (pos < v.size()) v.erase(pos, 1); break;
        }
      }
    }
    const int max_depth = 2 + static_cast<int>(rng() % 5);
    const bool a = LinePasses(v, max_depth, Recursive);
    const bool b = LinePasses(v, max_depth, Iterative);
    passed += a ? 1 : 0;
    if (a != b) {
      ++differ;
      ADD_FAILURE() << v << " max_depth " << max_depth << ": recursive " << a << ", iterative " << b;
      if (differ > 10) return;
    }
  }
  EXPECT_GT(passed, 5000);
}

TEST(JsonValidateTest, Verdicts) {
  EXPECT_EQ(ValidateJsonValue(R"({"a":[1,2,{"b":null}],"c":"\u00e9"})", 1, 64), JsonCheck::kOk);
  EXPECT_EQ(ValidateJsonValue(R"([1e400, -0, 0.5E-3])", 1, 64), JsonCheck::kOk);
  EXPECT_EQ(ValidateJsonValue(R"([01])", 1, 64), JsonCheck::kBadNumber);
  EXPECT_EQ(ValidateJsonValue(R"([tru])", 1, 64), JsonCheck::kBadLiteral);
  EXPECT_EQ(ValidateJsonValue(R"(["\ud800"])", 1, 64), JsonCheck::kBadString);
  EXPECT_EQ(ValidateJsonValue(R"(["\udc00"])", 1, 64), JsonCheck::kBadString);
  EXPECT_EQ(ValidateJsonValue(R"(["\ud800\udc00"])", 1, 64), JsonCheck::kOk);
  EXPECT_EQ(ValidateJsonValue(R"({"a" 1})", 1, 64), JsonCheck::kMalformed);
  EXPECT_EQ(ValidateJsonValue(R"([1,])", 1, 64), JsonCheck::kMalformed);
  EXPECT_EQ(ValidateJsonValue(R"({"a":1,})", 1, 64), JsonCheck::kMalformed);
  EXPECT_EQ(ValidateJsonValue(R"([1] x)", 1, 64), JsonCheck::kMalformed);
  EXPECT_EQ(ValidateJsonValue(R"([[[1]]])", 1, 4), JsonCheck::kOk);
  EXPECT_EQ(ValidateJsonValue(R"([[[[1]]]])", 1, 4), JsonCheck::kTooDeep);
}

TEST(JsonValidateTest, DeepNestingNeedsNoStack) {
  // 100 000 levels on a thread with a 64 KiB stack (smaller than civetweb's workers').
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  struct Arg {
    const std::string* text;
    JsonCheck at_limit, unlimited;
  } arg{&deep, JsonCheck::kOk, JsonCheck::kOk};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  pthread_t t;
  ASSERT_EQ(pthread_create(&t, &attr, [](void* p) -> void* {
              auto* a = static_cast<Arg*>(p);
              a->at_limit = ValidateJsonValue(*a->text, 1, 64);
              a->unlimited = ValidateJsonValue(*a->text, 1, 1000);
              return nullptr;
            }, &arg), 0);
  pthread_join(t, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_EQ(arg.at_limit, JsonCheck::kTooDeep);
  EXPECT_EQ(arg.unlimited, JsonCheck::kTooDeep);
}

}  // namespace
}  // namespace agx::json_detail
