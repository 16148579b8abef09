// A small C face for ncursesw. Swift cannot see curses' macros (getmaxyx, COLOR_PAIR, A_*,
// KEY_F) or call its variadic printers, so this header turns the few that Loupe's terminal
// backend needs into plain functions and constants. Nothing else lives here.
#ifndef CCURSES_H
#define CCURSES_H

#include <stdint.h>

/// Starts curses on the terminal: locale from the environment, raw keys, no echo, keypad,
/// colours where the terminal has them. Returns 0, or -1 when there is no terminal.
int ccurses_start(void);
/// Restores the terminal; safe to call more than once and from a signal handler path.
void ccurses_stop(void);
int ccurses_is_running(void);
/// Restores the terminal on any way out: at exit, and on SIGINT, SIGTERM, SIGHUP, SIGQUIT and
/// the crash signals (SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE, SIGTRAP), after which the
/// signal takes its default course. Install once, before ccurses_start.
void ccurses_install_exit_handlers(void);

int ccurses_rows(void);
int ccurses_cols(void);
/// Number of colours (8, 256, or 16777216 on direct-colour terminals) and of colour pairs.
int ccurses_colors(void);
int ccurses_color_pairs(void);
/// Defines colour pair `pair` (1…pairs-1); colours are palette indices or, on direct-colour
/// terminals, 0xRRGGBB. -1 is the terminal's default colour.
int ccurses_define_pair(int pair, int foreground, int background);

/// Attribute bits for ccurses_put.
enum {
    CCURSES_BOLD = 1,
    CCURSES_DIM = 2,
    CCURSES_REVERSE = 4,
    CCURSES_UNDERLINE = 8,
    CCURSES_ITALIC = 16
};
/// Writes one character (a Unicode scalar) at (row, col) with attributes and a colour pair.
int ccurses_put(int row, int col, uint32_t scalar, int attributes, int pair);
/// Copies what was written to the terminal in one update.
void ccurses_refresh(void);
/// Clears curses' idea of the screen so the next refresh repaints everything (Ctrl-L).
void ccurses_clear_screen(void);

/// Waits up to `timeout_ms` (−1: forever) for a key. Returns 0 on timeout; otherwise sets
/// *code and *is_function_key (arrows, F-keys, resize: curses KEY_* codes) and returns 1.
int ccurses_read_key(int timeout_ms, uint32_t *code, int *is_function_key);

/// curses key codes Swift cannot import as macros.
int ccurses_key_resize(void);
int ccurses_key_up(void);
int ccurses_key_down(void);
int ccurses_key_left(void);
int ccurses_key_right(void);
int ccurses_key_home(void);
int ccurses_key_end(void);
int ccurses_key_page_up(void);
int ccurses_key_page_down(void);
int ccurses_key_backspace(void);
int ccurses_key_enter(void);
int ccurses_key_back_tab(void);
int ccurses_key_delete(void);
int ccurses_key_f(int n);

#endif
