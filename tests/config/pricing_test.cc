// FindPrice: exact match, prefix match, longest prefix, no match.
#include <gtest/gtest.h>

#include "config/config.h"

namespace agx {
namespace {

TEST(PricingTest, FindPriceOrder) {
  // Order in the list must not matter: the short prefix comes first on purpose.
  const std::vector<ModelPrice> pricing = {
      {"gpt-4o*", 2.5, 10, 1.25, 0},
      {"gpt-4o-mini*", 0.15, 0.6, 0.075, 0},
      {"gpt-4o-mini-special", 9, 9, 9, 9},
      {"claude*", 1, 1, 1, 1},
      {"exact", 7, 7, 0, 0},
  };
  struct Case {
    const char* model;
    const char* want;  // nullptr: no match
  };
  const Case cases[] = {
      {"gpt-4o-mini-special", "gpt-4o-mini-special"},  // exact beats any prefix
      {"gpt-4o-mini-2024-07-18", "gpt-4o-mini*"},      // longest prefix
      {"gpt-4o-mini", "gpt-4o-mini*"},                 // a prefix matches itself
      {"gpt-4o-2024-08-06", "gpt-4o*"},
      {"gpt-4o", "gpt-4o*"},
      {"claude-anything", "claude*"},
      {"exact", "exact"},
      {"exactly", nullptr},  // no '*': exact only
      {"gpt-4", nullptr},
      {"", nullptr},
      {"GPT-4o", nullptr},  // case-sensitive
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.model);
    const ModelPrice* p = FindPrice(pricing, c.model);
    if (c.want == nullptr) {
      EXPECT_EQ(p, nullptr);
    } else {
      ASSERT_NE(p, nullptr);
      EXPECT_EQ(p->match, c.want);
    }
  }
  EXPECT_EQ(FindPrice({}, "gpt-4o"), nullptr);
}

TEST(PricingTest, ShippedPricesPickTheRightFamily) {
  const Config c = Config::Defaults();
  struct Case {
    const char* model;
    const char* want;
    double input, output;
  };
  const Case cases[] = {
      {"claude-opus-4-5-20251101", "claude-opus-4-5*", 5, 25},
      {"claude-opus-4-1-20250805", "claude-opus-4-1*", 15, 75},
      {"claude-opus-4-20250514", "claude-opus-4*", 15, 75},
      {"claude-sonnet-4-5-20250929", "claude-sonnet-4*", 3, 15},
      {"claude-haiku-4-5-20251001", "claude-haiku-4-5*", 1, 5},
      {"claude-3-5-haiku-20241022", "claude-3-5-haiku*", 0.80, 4},
      {"gpt-5", "gpt-5*", 1.25, 10},
      {"gpt-5-mini-2025-08-07", "gpt-5-mini*", 0.25, 2},
      {"gpt-4.1-2025-04-14", "gpt-4.1*", 2, 8},
      {"gpt-4.1-mini", "gpt-4.1-mini*", 0.40, 1.60},
      {"gpt-4o-2024-08-06", "gpt-4o*", 2.50, 10},
      {"gpt-4o-mini-2024-07-18", "gpt-4o-mini*", 0.15, 0.60},
      {"o3-2025-04-16", "o3*", 2, 8},
      {"gemini-2.5-pro", "gemini-2.5-pro*", 1.25, 10},
      {"gemini-2.5-flash-lite", "gemini-2.5-flash*", 0.30, 2.50},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.model);
    const ModelPrice* p = FindPrice(c.pricing, k.model);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->match, k.want);
    EXPECT_DOUBLE_EQ(p->input, k.input);
    EXPECT_DOUBLE_EQ(p->output, k.output);
  }
  EXPECT_EQ(FindPrice(c.pricing, "llama-3-70b"), nullptr);
}

}  // namespace
}  // namespace agx
