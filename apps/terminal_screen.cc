#include "apps/terminal_screen.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pinstream::cli {

namespace {

// All of it, across partial writes and signals; a terminal that is gone is left alone.
void WriteAll(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

constexpr char kEnter[] = "\x1b[?1049h\x1b[?25l\x1b[2J";  // alternate screen, no cursor, clear
constexpr char kLeave[] = "\x1b[?25h\x1b[?1049l";         // cursor back, main screen back

}  // namespace

Result<std::unique_ptr<TerminalScreen>> TerminalScreen::Open() {
  if (!isatty(STDOUT_FILENO)) return Status::InvalidArgument("stdout is not a terminal");
  std::unique_ptr<TerminalScreen> screen(new TerminalScreen());
  if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &screen->saved_) == 0) {
    termios raw = screen->saved_;
    raw.c_lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
    raw.c_iflag &= ~(IXON | ICRNL);
    raw.c_cc[VMIN] = 0;  // a read returns what there is; poll says when there is something
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0) {
      return Status::IOError(std::string("tcsetattr: ") + std::strerror(errno));
    }
    screen->raw_input_ = true;
  }
  WriteAll(kEnter);
  return screen;
}

TerminalScreen::~TerminalScreen() {
  WriteAll(kLeave);
  if (raw_input_) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
}

TerminalScreen::Size TerminalScreen::size() const {
  Size size;
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
    size.rows = ws.ws_row;
    size.columns = ws.ws_col;
  }
  return size;
}

void TerminalScreen::Draw(const std::vector<std::string>& lines) {
  const Size screen = size();
  size_t shown = lines.size();
  if (shown > screen.rows) shown = screen.rows - 1;
  // Each line at its own row, the row cleared first: clearing after the text would erase a
  // full-width line's last character, where the cursor waits to wrap.
  std::string out;
  for (size_t i = 0; i < shown; ++i) {
    out += "\x1b[" + std::to_string(i + 1) + ";1H\x1b[2K" + lines[i];
  }
  if (shown < lines.size()) {
    const std::string more =
        "... " + std::to_string(lines.size() - shown) + " more lines: enlarge the window";
    out += "\x1b[" + std::to_string(shown + 1) + ";1H\x1b[2K" + more.substr(0, screen.columns);
  } else if (shown < screen.rows) {
    out += "\x1b[" + std::to_string(shown + 1) + ";1H\x1b[J";  // below the frame: nothing
  }
  WriteAll(out);
}

}  // namespace pinstream::cli
