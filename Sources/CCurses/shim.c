#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include "CCurses.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <wchar.h>

static int running = 0;

int ccurses_start(void) {
    if (running) return 0;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) return -1;
    setlocale(LC_ALL, "");
    // The workbench draws with Unicode (boxes, half blocks, braille). Under a locale that is
    // not UTF-8 (LANG unset, as in CI or cron) curses would print '?' for all of them, so
    // characters are encoded as UTF-8 anyway, which every current terminal reads.
    if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0 && setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
        setlocale(LC_CTYPE, "en_US.UTF-8");
    }
    if (initscr() == NULL) return -1;
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    if (has_colors()) {
        start_color();
        use_default_colors();
    }
    running = 1;
    return 0;
}

void ccurses_stop(void) {
    if (!running) return;
    running = 0;
    curs_set(1);
    endwin();
    fflush(stdout);
}

int ccurses_is_running(void) { return running; }

static void restore_and_reraise(int sig) {
    ccurses_stop();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void restore_at_exit(void) { ccurses_stop(); }

void ccurses_install_exit_handlers(void) {
    static int installed = 0;
    if (installed) return;
    installed = 1;
    atexit(restore_at_exit);
    const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction action;
        action.sa_handler = restore_and_reraise;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND;
        sigaction(signals[i], &action, NULL);
    }
}

int ccurses_rows(void) { int r, c; getmaxyx(stdscr, r, c); (void)c; return r; }
int ccurses_cols(void) { int r, c; getmaxyx(stdscr, r, c); (void)r; return c; }
int ccurses_colors(void) { return has_colors() ? COLORS : 0; }
int ccurses_color_pairs(void) { return has_colors() ? COLOR_PAIRS : 0; }

int ccurses_define_pair(int pair, int foreground, int background) {
    return init_extended_pair(pair, foreground, background);
}

int ccurses_put(int row, int col, uint32_t scalar, int attributes, int pair) {
    wchar_t text[2] = { (wchar_t)scalar, 0 };
    attr_t a = A_NORMAL;
    if (attributes & CCURSES_BOLD) a |= A_BOLD;
    if (attributes & CCURSES_DIM) a |= A_DIM;
    if (attributes & CCURSES_REVERSE) a |= A_REVERSE;
    if (attributes & CCURSES_UNDERLINE) a |= A_UNDERLINE;
    if (attributes & CCURSES_ITALIC) a |= A_ITALIC;
    cchar_t cell;
    int extended = pair;
    // setcchar takes the pair both as a short and, for pairs above 32767, through opts.
    if (setcchar(&cell, text, a, (short)(pair < 32768 ? pair : 0), &extended) != OK) return -1;
    return mvadd_wch(row, col, &cell);
}

void ccurses_refresh(void) { refresh(); }
void ccurses_clear_screen(void) { clearok(curscr, TRUE); }

int ccurses_read_key(int timeout_ms, uint32_t *code, int *is_function_key) {
    timeout(timeout_ms);
    wint_t ch;
    int kind = get_wch(&ch);
    if (kind == ERR) return 0;
    *code = (uint32_t)ch;
    *is_function_key = (kind == KEY_CODE_YES);
    return 1;
}

int ccurses_key_resize(void) { return KEY_RESIZE; }
int ccurses_key_up(void) { return KEY_UP; }
int ccurses_key_down(void) { return KEY_DOWN; }
int ccurses_key_left(void) { return KEY_LEFT; }
int ccurses_key_right(void) { return KEY_RIGHT; }
int ccurses_key_home(void) { return KEY_HOME; }
int ccurses_key_end(void) { return KEY_END; }
int ccurses_key_page_up(void) { return KEY_PPAGE; }
int ccurses_key_page_down(void) { return KEY_NPAGE; }
int ccurses_key_backspace(void) { return KEY_BACKSPACE; }
int ccurses_key_enter(void) { return KEY_ENTER; }
int ccurses_key_back_tab(void) { return KEY_BTAB; }
int ccurses_key_delete(void) { return KEY_DC; }
int ccurses_key_f(int n) { return KEY_F(n); }
