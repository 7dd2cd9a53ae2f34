#pragma once

#include <array>
#include <span>
#include <string_view>

namespace pinstream {

// The word lists the post generator draws from: categories, per-category subjects and brand
// words, names and countries. Written for pinstream (not taken from the original data set);
// they give titles, tags and names a realistic look and include the characters that trip up
// pipelines: accents, apostrophes, ampersands, commas and curly quotes.

// The 13 categories of the original data set, in the order the original table was sorted.
inline constexpr std::array<std::string_view, 13> kCategories = {
    "art",     "beauty",     "christmas",    "diy-and-crafts", "education", "event-planning",
    "finance", "home-decor", "mens-fashion", "quotes",         "tattoos",   "travel",
    "vehicles"};

struct CategoryVocabulary {
  std::string_view category;                      // as in kCategories
  std::string_view display;                       // "Home Decor"
  std::span<const std::string_view> subjects;     // title-case noun phrases: "Gallery Wall"
  std::span<const std::string_view> brand_words;  // first words of blog names: "Hearth"
};

// The vocabulary of kCategories[index]; index < kCategories.size().
const CategoryVocabulary& VocabularyFor(size_t category_index);

std::span<const std::string_view> Adjectives();     // "Cozy", "Minimalist", ...
std::span<const std::string_view> Audiences();      // "Beginners", "Small Spaces", ...
std::span<const std::string_view> TagSuffixes();    // "Ideas", "For Beginners", ...
std::span<const std::string_view> BrandSuffixes();  // "Studio", "Co.", "Collective", ...
std::span<const std::string_view> FirstNames();
std::span<const std::string_view> LastNames();
// Countries and territories, with the spaces, apostrophes, accents and commas of real names.
std::span<const std::string_view> Countries();

}  // namespace pinstream
