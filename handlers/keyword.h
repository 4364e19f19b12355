/* keyword — the keyword table and the parser that finds a keyword in an SMS.
 *
 *   1. The router calls kw_parse(text, &m) with the message text (m may live
 *      on the stack: the parser allocates nothing).
 *   2. On 0 it checks m.keyword->flags (KW_OFFICIAL needs a registered
 *      official) and calls m.keyword->handler(req, &m); on -1 it calls
 *      kw_unknown(req, &m), which may offer m.suggestion.
 *   3. m.args points into m.buf: a handler copies what it keeps.
 *
 * kw_table (handlers/keyword.c) is the single place a keyword is defined.
 * Adding a command is adding a row there (plus its handler elsewhere); the
 * parser is never touched:
 *   - aliases: Indonesian, Javanese, English spellings, NULL-terminated;
 *   - a name or alias with a space ("TIDAK PUAS") is a multi-word keyword; it
 *     also matches glued ("TIDAKPUAS") and beats a shorter match at the same
 *     place, so TIDAK PUAS is never read as PUAS;
 *   - KW_BARE_NUMBER: a message whose first word is a number means this
 *     keyword (CEK 12345 written as just 12345);
 *   - KW_OFFICIAL: only registered officials; never listed nor suggested;
 *   - KW_HIDDEN: matched but not listed in INFO;
 *   - handler NULL: the row is reserved and inactive, the parser ignores it.
 *
 * Matching rules, in order (details at the top of keyword.c):
 *   - text is cut to KW_TEXT_MAX - 1 bytes at a UTF-8 boundary;
 *   - words are runs of letters, digits, apostrophes and non-ASCII bytes,
 *     also split where a digit follows a letter ("CEK12345"); a run of '?'
 *     is a word of its own ("info?", "?"); all other ASCII
 *     punctuation, whitespace and control bytes separate words (the DESIGN.md
 *     set # . * , / : ; plus - _ + ! ( ) and the rest), as do NBSP, the
 *     ellipsis and typographic dashes/quotes that phones insert;
 *   - comparison is ASCII case-insensitive, ignores apostrophes and collapses
 *     repeated letters on both sides ("LAPORRR", "infooo");
 *   - courtesies and greetings before the keyword are skipped (assalamualaikum,
 *     selamat pagi, pak, mohon, nyuwun sewu, saya mau ...), at most
 *     KW_SCAN_WORDS words; a courtesy that is also a keyword (TOLONG) is the
 *     keyword only when no keyword follows it;
 *   - the first word that is not a courtesy decides: exact match, else
 *     Damerau distance 1 for keywords of 4+ letters (ambiguous corrections are
 *     refused), else no match with a "did you mean" suggestion. */
#ifndef KT_KEYWORD_H
#define KT_KEYWORD_H

#include <stddef.h>

#include "handlers/handler.h"

#define KW_TEXT_MAX   1024 /* longer input is truncated at a UTF-8 boundary, still parsed */
#define KW_SCAN_WORDS 16   /* words looked at for the keyword, courtesies included */
#define KW_WORD_MAX   48   /* a longer word is never a keyword nor a courtesy */

enum kw_flag {
    KW_BARE_NUMBER = 1u << 0, /* a message starting with a number means this keyword */
    KW_OFFICIAL = 1u << 1,    /* officials only; not in INFO, never suggested */
    KW_HIDDEN = 1u << 2,      /* matched, but not listed in INFO */
    KW_MENU_EXIT = 1u << 3,   /* works even inside an SMS menu session (and ends it) */
};

struct keyword {
    const char *name;           /* upper case, as shown to residents: "INFO", "TIDAK PUAS" */
    const char *const *aliases; /* NULL-terminated, may be NULL */
    handler_fn handler;         /* NULL: reserved row, ignored by the parser */
    const char *help;           /* one INFO line, GSM-7, starts with the name */
    unsigned flags;             /* enum kw_flag */
};

struct kw_match {
    /* NULL when nothing matched */
    const struct keyword *keyword;
    /* a "did you mean" candidate when nothing matched, else NULL */
    const struct keyword *suggestion;
    /* the rest of the message after the keyword, trimmed, points into buf;
     * for KW_BARE_NUMBER it starts at the number */
    const char *args;
    /* 0 exact, 1 typo-corrected */
    int distance;
    char buf[KW_TEXT_MAX];
};

/* Parses UTF-8 text (may be invalid UTF-8, empty, binary junk or NULL: never
 * crash). Returns 0 when a keyword matched, -1 otherwise (m->suggestion may be
 * set, m->args is then the whole trimmed text). */
int kw_parse(const char *text, struct kw_match *m);
/* The same against another table (tests, future tables). */
int kw_parse_table(const struct keyword *table, const char *text, struct kw_match *m);

/* The table, terminated by an entry with name == NULL; the INFO reply is
 * built from its help lines. */
extern const struct keyword kw_table[];

/* Handlers (handlers/info.c). Each calls request_reply() then request_done(). */
void info_handler(struct request *req, const struct kw_match *m);
/* The row named name (canonical name, upper case), or NULL. */
const struct keyword *kw_find(const char *name);
/* Handler for messages no keyword matched. */
void kw_unknown(struct request *req, const struct kw_match *m);
/* Handler that answers nothing, deliberately (thanks, acknowledgements). */
void kw_silence(struct request *req, const struct kw_match *m);

/* Reply builders behind those handlers, for tests: they write one SMS of at
 * most INFO_SMS_MAX GSM-7 characters into buf and return its length in bytes,
 * or -1 when len is too small. info_text lists the help line of each row with
 * a handler that is neither KW_OFFICIAL nor KW_HIDDEN, as many as fit. */
#define INFO_SMS_MAX 160
int info_text(char *buf, size_t len);
int info_text_table(const struct keyword *table, char *buf, size_t len);
int info_unknown_text(const struct kw_match *m, char *buf, size_t len);

/* Copies text into buf (KW_TEXT_MAX bytes), cut to KW_TEXT_MAX - 1 bytes
 * without splitting a UTF-8 sequence, as kw_parse reads it. Returns the
 * length. */
size_t kw_copy_text(const char *text, char *buf);

#endif
