#pragma once

#include <termios.h>

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace pinstream::cli {

// The terminal taken over by a full-screen view (`pinstream top`) for as long as this lives:
// the alternate screen with the cursor hidden and, when stdin is a terminal too, keys read one
// at a time without echo and without the terminal turning Ctrl-C into a signal (it arrives as
// byte 3). The destructor gives everything back, whichever way the view ends short of a crash.
//
// For stdout being a terminal only (isatty). Not thread-safe: one thread draws.
class TerminalScreen {
 public:
  static Result<std::unique_ptr<TerminalScreen>> Open();
  ~TerminalScreen();
  TerminalScreen(const TerminalScreen&) = delete;
  TerminalScreen& operator=(const TerminalScreen&) = delete;

  struct Size {
    size_t rows = 24;
    size_t columns = 80;
  };
  // The window's size now (TIOCGWINSZ); 24x80 when the terminal does not say.
  Size size() const;

  // Replaces what the screen shows with `lines`, which must fit its width; a frame taller than the
  // screen ends with a line saying how many more there were.
  void Draw(const std::vector<std::string>& lines);

  // The descriptor keys come from (stdin), or -1 when stdin is not a terminal.
  int key_fd() const { return raw_input_ ? 0 : -1; }

 private:
  TerminalScreen() = default;

  bool raw_input_ = false;
  termios saved_{};  // stdin's settings before, restored when raw_input_
};

}  // namespace pinstream::cli
