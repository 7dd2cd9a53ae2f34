#include "common/time_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace pinstream {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

bool ParseDigits(std::string_view* s, size_t n, int* out) {
  if (s->size() < n) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = (*s)[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  s->remove_prefix(n);
  *out = v;
  return true;
}

bool Consume(std::string_view* s, char c) {
  if (s->empty() || s->front() != c) return false;
  s->remove_prefix(1);
  return true;
}

}  // namespace

std::string FormatIso8601(int64_t epoch_ms) {
  int64_t secs = epoch_ms / 1000;
  int ms = static_cast<int>(epoch_ms % 1000);
  if (ms < 0) {  // floor toward the past for times before the epoch
    secs -= 1;
    ms += 1000;
  }
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  if (ms == 0) {
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  } else {
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  }
  return buf;
}

Result<int64_t> ParseTimestampMillis(std::string_view text) {
  // Built only on failure: parsing is on the hot path of every record with a timestamp.
  auto bad = [text] {
    return Status::InvalidArgument("invalid timestamp '" + std::string(text) + "'");
  };
  // Epoch seconds, possibly fractional: what the AWS CLI and boto3 put on the JSON wire.
  if (!text.empty() && text.find('-') == std::string_view::npos) {
    double secs = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), secs);
    // Beyond year 5000 either way is a mistake, and must not overflow the conversion below.
    constexpr double kMaxSeconds = 1e11;
    if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(secs) ||
        std::abs(secs) > kMaxSeconds) {
      return bad();
    }
    return static_cast<int64_t>(secs * 1000.0 + (secs >= 0 ? 0.5 : -0.5));
  }
  std::string_view s = text;
  int year, month, day, hour = 0, minute = 0, second = 0, millis = 0;
  if (!ParseDigits(&s, 4, &year) || !Consume(&s, '-') || !ParseDigits(&s, 2, &month) ||
      !Consume(&s, '-') || !ParseDigits(&s, 2, &day)) {
    return bad();
  }
  if (!s.empty()) {
    if (!Consume(&s, 'T') && !Consume(&s, ' ') && !Consume(&s, 't')) return bad();
    if (!ParseDigits(&s, 2, &hour) || !Consume(&s, ':') || !ParseDigits(&s, 2, &minute)) {
      return bad();
    }
    if (Consume(&s, ':') && !ParseDigits(&s, 2, &second)) return bad();
    if (Consume(&s, '.')) {
      int scale = 100;
      size_t digits = 0;
      while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
        millis += (s.front() - '0') * scale;
        scale /= 10;
        s.remove_prefix(1);
        ++digits;
      }
      if (digits == 0) return bad();
    }
  }
  int64_t offset_minutes = 0;
  if (Consume(&s, 'Z') || Consume(&s, 'z')) {
  } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    int sign = s.front() == '+' ? 1 : -1;
    s.remove_prefix(1);
    int oh, om = 0;
    if (!ParseDigits(&s, 2, &oh)) return bad();
    Consume(&s, ':');
    if (!s.empty() && !ParseDigits(&s, 2, &om)) return bad();
    offset_minutes = sign * (oh * 60 + om);
  }
  if (!s.empty()) return bad();
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return bad();
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return secs * 1000 + millis;
}

std::string FormatDurationMillis(int64_t ms) {
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

Result<int64_t> ParseDurationMillis(std::string_view text) {
  const Status bad = Status::InvalidArgument("invalid duration '" + std::string(text) +
                                             "' (examples: 24h, 90m, 30s, 500ms, 7d)");
  int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n < 0) return bad;
  std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
  int64_t scale;
  if (unit.empty() || unit == "s") {
    scale = 1000;
  } else if (unit == "ms") {
    scale = 1;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else if (unit == "d") {
    scale = 86'400'000;
  } else {
    return bad;
  }
  if (n > INT64_MAX / scale) return bad;
  return n * scale;
}

}  // namespace pinstream
