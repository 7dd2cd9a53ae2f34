#include "operators/window_assigner.h"

#include <algorithm>

namespace pinstream {

void WindowSpec::Assign(int64_t t, std::vector<TimeWindow>* out) const {
  out->clear();
  switch (kind) {
    case Kind::kTumbling: {
      const int64_t start = FloorDiv(t, size) * size;
      out->push_back({start, start + size});
      return;
    }
    case Kind::kSliding: {
      // The latest window holding t starts at the last multiple of slide at or before t; the
      // earlier ones every slide back, while they still reach past t.
      for (int64_t start = FloorDiv(t, slide) * slide; start > t - size; start -= slide) {
        out->push_back({start, start + size});
      }
      std::reverse(out->begin(), out->end());
      return;
    }
    case Kind::kSession:
      out->push_back({t, t + gap});
      return;
  }
}

}  // namespace pinstream
