/* lexicon — what residents write around the keywords, as data, and the one
 * function that reads a message's intent from it.
 *
 *   1. At start (services_load): lx = lexicon_load("data/lexicon.csv", err,
 *      sizeof err); NULL means the file is unusable and err says why
 *      ("file:line: problem"); `kentongan -t` prints it.
 *   2. Any thread, any time: intent_of(lx, regions, sender, text, &r). Pure:
 *      no I/O, no allocation, no clock; lx and regions are read-only.
 *   3. lexicon_free(lx) (NULL is a no-op).
 *
 * data/lexicon.csv has the header "jenis,bahasa,frasa,arti"; one phrase of
 * one to LEXICON_PHRASE_WORDS words a row, compared by key (textmatch.h:
 * case, repeated letters and apostrophes ignored). jenis is one of:
 *   kata_kunci    a word form of a resident keyword anywhere in the message
 *                 (dilaporkan, ngadukan, complaint); arti names the kw_table
 *                 row (LAPOR);
 *   niat          "I want to report" phrasings (aku arep lapor, kula badhe
 *                 matur, mau ngadu); arti names the row (LAPOR);
 *   tanya_status  how people ask how far a report has gone (piye kabare,
 *                 sudah sampai mana, pripun); with a valid ticket = CEK;
 *   pengisi       words between a keyword and a ticket (tiket, nomer,
 *                 laporan), skipped and never looked up;
 *   salam         greetings (for the corpus and for "thanks only" texts);
 *   berhenti      ways of saying "stop sending me messages" (mandheg, ampun
 *                 dikirimi malih); an opt-out only in a short message;
 *   tidak_puas    "not satisfied" (ora puas, mboten marem): TIDAK PUAS;
 *   terima_kasih  thanks: a short message of thanks gets no answer;
 *   mungkin       words that make a text likely a complaint (rusak, banjir):
 *                 the resident is asked once whether to file it;
 *   puas          "satisfied" (puas, marem) in a short message: PUAS (after
 *                 tidak_puas, before thanks);
 *   tanya_info    questions about the service (cara lapor, carane lapor, ini
 *                 nomor apa) in a short message: INFO, not LAPOR;
 *   tolong        pleas (tolong, tulung): TOLONG before other words is INFO
 *                 only when nothing else in the message is understood;
 *   darurat       emergency words (kebakaran, longsor, hilang, tenggelam): a
 *                 text with one is a complaint filed at once, never asked
 *                 first (whether it is urgent is data/darurat.csv's call);
 *   sangkal       words that take back an emergency word among the
 *                 INTENT_NEGATION_WORDS before it (bukan, kalau, ora).
 * bahasa is a free label of at most 15 bytes (id, jv-ngoko, jv-krama, slang,
 * en); arti is "-" except for kata_kunci and niat. A phrase twice in one
 * jenis, an unknown jenis or keyword, a phrase of an officials' keyword, or
 * more than LEXICON_MAX rows is an error with its line number. */
#ifndef KT_LEXICON_H
#define KT_LEXICON_H

#include <stddef.h>

#include "handlers/keyword.h"
#include "handlers/ticket.h"

#define LEXICON_MAX            2000 /* rows in the file */
#define LEXICON_PHRASE_WORDS   6    /* words in one phrase */
#define INTENT_WORDS_MAX       64   /* words of a message looked at for intent */
#define INTENT_OPTOUT_SLACK    3    /* other words an opt-out phrase may come with */
#define INTENT_THANKS_WORDS    6    /* a thanks message is at most this many words */
#define INTENT_LIKELY_WORDS    4    /* a likely complaint has at least this many words */
#define INTENT_STATUS_WORDS    4    /* "LAPORAN 100014 ..." of at most this many words is CEK */
#define INTENT_QUESTION_WORDS  6    /* a "how do I report" question is at most this many words */
#define INTENT_SATISFIED_WORDS 8    /* a "puas" message is at most this many words */
#define INTENT_URGENT_WORDS    2    /* an emergency of at least this many words is filed at once */
#define INTENT_NEGATION_WORDS  3    /* words before an emergency word checked for a sangkal word */
#define INTENT_PENDING_TTL                                                                         \
    1800 /* default of [gateway] confirm_ttl: seconds a likely complaint waits for YA */

struct lexicon;
struct region_db;

enum intent {
    INTENT_NONE,             /* nothing understood: the "not recognised" hint */
    INTENT_SILENT,           /* an operator or short-code sender: no answer at all */
    INTENT_COMMAND,          /* a kw_table row (r.match.keyword), as kw_parse finds it */
    INTENT_COMPLAINT,        /* clearly a complaint: LAPOR with r.match.args */
    INTENT_COMPLAINT_LIKELY, /* probably one: ask "Balas YA ..." and keep the text */
    INTENT_STATUS,           /* CEK of r.ticket */
    INTENT_OPTOUT,           /* BERHENTI */
    INTENT_DISSATISFIED,     /* TIDAK PUAS (of r.ticket when one is named) */
    INTENT_THANKS,           /* deliberate silence */
};

struct intent_result {
    enum intent intent;
    /* the row to run and its args, as kw_parse would have set them: for
     * COMPLAINT(_LIKELY) LAPOR, STATUS CEK (args = the ticket), OPTOUT
     * BERHENTI, DISSATISFIED TIDAK PUAS; NULL for NONE, SILENT, THANKS */
    struct kw_match match;
    /* a valid ticket (check digit right) named in the text, else seq 0 */
    unsigned long long seq;
    char ticket[TICKET_MAX];
    /* COMPLAINT(_LIKELY) only, when regions were given: the place found in
     * the complaint text (region.h: kind, desa, kecamatan), else NONE / -1 */
    int place_kind; /* enum region_kind */
    int desa, kecamatan;
    /* 1 when the keyword was read from a respelled word: digits for letters
     * (L4P0R), glued (LAPORjalan), vowel-less (LPR, STS, BRHNTI) */
    int respelled;
};

/* Loads path; NULL with "path:line: problem" in err. */
struct lexicon *lexicon_load(const char *path, char *err, size_t errlen);
void lexicon_free(struct lexicon *lx);
/* Rows loaded (for logs and tests). */
int lexicon_count(const struct lexicon *lx);

/* Reads what a message means. sender (raw or normalised, may be NULL: not
 * checked) that is not a mobile number gives INTENT_SILENT. lx and regions
 * may be NULL (then only kw_parse and the built-in respellings are used).
 * text may be NULL, empty, invalid UTF-8. Always fills r; returns r->intent. */
enum intent intent_of(const struct lexicon *lx, const struct region_db *regions, const char *sender,
                      const char *text, struct intent_result *r);
/* "none", "silent", "command", "complaint", "complaint_likely", "status",
 * "optout", "dissatisfied", "thanks". */
const char *intent_name(enum intent in);

/* The vowel-less form of a keyword spelling (first letter kept, later
 * vowels dropped, repeats collapsed: LAPOR -> "lpr", BERHENTI -> "brhnt")
 * into out (KW_WORD_MAX + 1 bytes); its length, or 0 when shorter than 3
 * letters (too short to tell from other words). For tests and tools. */
int intent_skeleton(const char *spelling, char *out);
/* The resident row whose vowel-less form is word's ("LPR", "STS", "BRHNTI"),
 * or NULL when none or when two rows share it. */
const struct keyword *intent_abbreviation(const char *word, size_t len);

/* The router's entry for a resident's SMS outside a menu (handlers/intent.c):
 * intent_of, then the row's handler, a silence, the "Balas YA" question
 * (the text kept INTENT_PENDING_TTL seconds) or the "not recognised" hint.
 * A resident's YA files the kept text. */
void intent_dispatch(struct request *req);

#endif
