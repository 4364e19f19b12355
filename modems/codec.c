/*
 * codec — UTF-8 <-> SMS text conversions (see codec.h for the recipe).
 *
 * Everything here is a pure function over caller-provided buffers, linear in the input and
 * free of libgammu, so it is unit-tested and fuzzed on its own. The modem worker trusts
 * what comes out: sanitised UTF-8 in, an exact part count out, and UTF-16BE buffers laid
 * out as libgammu's GSM_SMSMessage.Text expects.
 *
 * Why our own converters rather than libgammu's: its *Unicode* string helpers go through
 * the C locale (mbrtowc) and DecodeUnicodeString returns one static buffer; the worker may
 * run under any locale and we want the same bytes everywhere.
 *
 * The GSM 03.38 table below is a subset of libgammu's own (gsmcomon/coding): libgammu also
 * maps U+00B9 to 0x1B, which is the escape septet on the air, so we leave it out. Anything
 * we call GSM-7 therefore encodes losslessly in libgammu; anything else goes as UCS-2.
 *
 * Part counting and splitting share one greedy rule: a character goes into the current
 * part if its units fit, else it opens the next part. Splitting therefore never separates
 * an escape pair or a surrogate pair, and codec_plan's part count is exactly what
 * codec_split produces. Grapheme clusters (emoji ZWJ sequences, Javanese vowel signs) may
 * be split between parts; the receiving phone joins the parts before display.
 */
#include "modems/codec.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#define BAD_CP      0xFFFFFFFFu /* utf8_decode's mark for an ill-formed sequence */
#define REPLACEMENT 0xFFFDu

/* Decodes one code point from s[0..n), n >= 1 (Unicode Table 3-7, well-formed only).
 * Returns the bytes consumed, >= 1. For an ill-formed sequence *cp is BAD_CP and the bytes
 * consumed are its maximal subpart, so each bad stretch yields one U+FFFD per subpart as
 * Unicode recommends. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    unsigned lo = 0x80, hi = 0xBF;
    size_t need, i;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        *cp = BAD_CP; /* continuation byte, C0/C1 overlong lead, F5..FF */
        return 1;
    }
    for (i = 1; i <= need; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *cp = BAD_CP;
            return i;
        }
        v = (v << 6) | (s[i] & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = v;
    return need + 1;
}

/* Encodes a valid scalar value; returns 1..4 bytes. */
static size_t utf8_encode(uint32_t cp, unsigned char *b)
{
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (unsigned char)(0xF0 | (cp >> 18));
    b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Septets per ASCII character in GSM 03.38: 1 in the default alphabet, 2 in the extension
 * table (FF ^ { } \ [ ~ ] |), 0 if absent (tab, other controls, backtick, DEL). */
static const char ascii_septets[128] = "0000000000102100" /* 0x00: LF=1 FF=2 CR=1 */
                                       "0000000000000000" /* 0x10 */
                                       "1111111111111111" /* 0x20: space ! " # $ ... / */
                                       "1111111111111111" /* 0x30: 0-9 : ; < = > ? */
                                       "1111111111111111" /* 0x40: @ A-O */
                                       "1111111111122221" /* 0x50: P-Z [ \ ] ^ _ */
                                       "0111111111111111" /* 0x60: ` a-o */
                                       "1111111111122220" /* 0x70: p-z { | } ~ DEL */;

/* Septets for one code point in GSM-7, or 0 if it needs UCS-2. */
static int gsm_septets(uint32_t cp)
{
    if (cp < 0x80)
        return ascii_septets[cp] - '0';
    switch (cp) {
    case 0xA1:  /* ¡ */
    case 0xA3:  /* £ */
    case 0xA4:  /* ¤ */
    case 0xA5:  /* ¥ */
    case 0xA7:  /* § */
    case 0xBF:  /* ¿ */
    case 0xC4:  /* Ä */
    case 0xC5:  /* Å */
    case 0xC6:  /* Æ */
    case 0xC7:  /* Ç */
    case 0xC9:  /* É */
    case 0xD1:  /* Ñ */
    case 0xD6:  /* Ö */
    case 0xD8:  /* Ø */
    case 0xDC:  /* Ü */
    case 0xDF:  /* ß */
    case 0xE0:  /* à */
    case 0xE4:  /* ä */
    case 0xE5:  /* å */
    case 0xE6:  /* æ */
    case 0xE8:  /* è */
    case 0xE9:  /* é */
    case 0xEC:  /* ì */
    case 0xF1:  /* ñ */
    case 0xF2:  /* ò */
    case 0xF6:  /* ö */
    case 0xF8:  /* ø */
    case 0xF9:  /* ù */
    case 0xFC:  /* ü */
    case 0x393: /* Γ */
    case 0x394: /* Δ */
    case 0x398: /* Θ */
    case 0x39B: /* Λ */
    case 0x39E: /* Ξ */
    case 0x3A0: /* Π */
    case 0x3A3: /* Σ */
    case 0x3A6: /* Φ */
    case 0x3A8: /* Ψ */
    case 0x3A9: /* Ω */
        return 1;
    case 0x20AC: /* € */
        return 2;
    default:
        return 0;
    }
}

/* C0 controls other than \n \r \t, DEL and C1 controls: invisible, never wanted in an SMS,
 * and any of them would silently switch a reply to UCS-2. */
static int is_dropped_control(uint32_t cp)
{
    if (cp < 0x20)
        return cp != '\n' && cp != '\r' && cp != '\t';
    return cp >= 0x7F && cp <= 0x9F;
}

size_t codec_utf8_sanitize(const char *in, size_t inlen, char *out, size_t outlen)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0;

    if (outlen == 0)
        return 0;
    while (i < inlen) {
        unsigned char b[4];
        uint32_t cp;
        size_t m;

        if (s[i] >= 0x20 && s[i] < 0x7F) { /* the common case */
            if (o + 1 >= outlen)
                break;
            out[o++] = (char)s[i++];
            continue;
        }
        i += utf8_decode(s + i, inlen - i, &cp);
        if (cp == BAD_CP)
            cp = REPLACEMENT;
        else if (is_dropped_control(cp))
            continue;
        m = utf8_encode(cp, b);
        if (o + m >= outlen)
            break;
        memcpy(out + o, b, m);
        o += m;
    }
    out[o] = '\0';
    return o;
}

/* The GSM replacement for a typographic character: a string ("" drops it), or NULL to keep
 * the character. Every replacement is no longer than the character's UTF-8 form. */
static const char *fold_one(uint32_t cp)
{
    switch (cp) {
    case 0x09:   /* tab: not in GSM 03.38 */
    case 0xA0:   /* no-break space */
    case 0x2000: /* en quad ... */
    case 0x2001:
    case 0x2002:
    case 0x2003:
    case 0x2004:
    case 0x2005:
    case 0x2006:
    case 0x2007:
    case 0x2008:
    case 0x2009:
    case 0x200A: /* ... hair space */
    case 0x202F: /* narrow no-break space */
    case 0x205F: /* medium mathematical space */
    case 0x3000: /* ideographic space */
        return " ";
    case 0x60:   /* ` */
    case 0xB4:   /* ´ */
    case 0x2BC:  /* ʼ modifier letter apostrophe */
    case 0x2018: /* ‘ */
    case 0x2019: /* ’ */
    case 0x201A: /* ‚ */
    case 0x201B: /* ‛ */
    case 0x2032: /* ′ */
    case 0x2039: /* ‹ */
    case 0x203A: /* › */
        return "'";
    case 0xAB:   /* « */
    case 0xBB:   /* » */
    case 0x201C: /* “ */
    case 0x201D: /* ” */
    case 0x201E: /* „ */
    case 0x201F: /* ‟ */
    case 0x2033: /* ″ */
        return "\"";
    case 0x2010: /* ‐ hyphen */
    case 0x2011: /* ‑ non-breaking hyphen */
    case 0x2012: /* ‒ figure dash */
    case 0x2013: /* – */
    case 0x2014: /* — */
    case 0x2015: /* ― */
    case 0x2212: /* − minus */
        return "-";
    case 0x2026: /* … */
        return "...";
    case 0xAD:   /* soft hyphen */
    case 0x200B: /* zero-width space */
    case 0x2060: /* word joiner */
    case 0xFEFF: /* BOM / zero-width no-break space */
        return "";
    default:
        return NULL;
    }
}

size_t codec_gsm_fold(const char *utf8, char *out, size_t outlen)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t n = strlen(utf8), i = 0, o = 0;

    if (outlen == 0)
        return 0;
    while (i < n) {
        const unsigned char *src = s + i;
        const char *rep = NULL;
        uint32_t cp;
        size_t k, m;

        if (s[i] >= 0x20 && s[i] < 0x7F && s[i] != '`') {
            k = 1;
        } else {
            k = utf8_decode(src, n - i, &cp);
            if (cp != BAD_CP)
                rep = fold_one(cp);
        }
        if (rep) {
            src = (const unsigned char *)rep;
            m = strlen(rep);
        } else {
            m = k;
        }
        if (o + m >= outlen)
            break;
        memcpy(out + o, src, m);
        o += m;
        i += k;
    }
    out[o] = '\0';
    return o;
}

/* Totals for both codings, gathered in one pass. */
struct tally {
    size_t septets, u16;
    int gsm;
    int gsm_parts, gsm_fill; /* greedy parts at CODEC_GSM7_MULTI */
    int ucs_parts, ucs_fill; /* greedy parts at CODEC_UCS2_MULTI */
};

/* Walks the text once with the greedy packing rule; t->gsm is cleared at the first
 * character outside GSM 03.38. Returns -1 on ill-formed UTF-8 or a text so long that a
 * count might not fit an int (a byte is at most 2 septets or 1 UTF-16 unit). */
static int tally_text(const char *utf8, size_t n, struct tally *t)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t i = 0;

    if (n > INT_MAX / 2)
        return -1;
    t->septets = t->u16 = 0;
    t->gsm = 1;
    t->gsm_parts = t->ucs_parts = 1;
    t->gsm_fill = t->ucs_fill = 0;
    while (i < n) {
        uint32_t cp;
        int w16, w7;

        if (s[i] < 0x80) {
            cp = s[i++];
        } else {
            i += utf8_decode(s + i, n - i, &cp);
            if (cp == BAD_CP)
                return -1;
        }
        w16 = cp >= 0x10000 ? 2 : 1;
        if (t->ucs_fill + w16 > CODEC_UCS2_MULTI) {
            t->ucs_parts++;
            t->ucs_fill = 0;
        }
        t->ucs_fill += w16;
        t->u16 += (size_t)w16;
        if (t->gsm) {
            w7 = gsm_septets(cp);
            if (w7 == 0) {
                t->gsm = 0;
                continue;
            }
            if (t->gsm_fill + w7 > CODEC_GSM7_MULTI) {
                t->gsm_parts++;
                t->gsm_fill = 0;
            }
            t->gsm_fill += w7;
            t->septets += (size_t)w7;
        }
    }
    return 0;
}

int codec_plan(const char *utf8, struct codec_plan *p)
{
    struct tally t;

    if (tally_text(utf8, strlen(utf8), &t) < 0)
        return -1;
    if (t.gsm) {
        p->coding = CODEC_GSM7;
        p->units = (int)t.septets;
        if (t.septets <= CODEC_GSM7_SINGLE) {
            p->parts = 1;
            p->per_part = CODEC_GSM7_SINGLE;
        } else {
            p->parts = t.gsm_parts;
            p->per_part = CODEC_GSM7_MULTI;
        }
    } else {
        p->coding = CODEC_UCS2;
        p->units = (int)t.u16;
        if (t.u16 <= CODEC_UCS2_SINGLE) {
            p->parts = 1;
            p->per_part = CODEC_UCS2_SINGLE;
        } else {
            p->parts = t.ucs_parts;
            p->per_part = CODEC_UCS2_MULTI;
        }
    }
    return 0;
}

int codec_split(const char *utf8, const struct codec_plan *p, struct codec_part *parts,
                int max_parts)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t n = strlen(utf8), i = 0, start = 0;
    int single, multi, cap, count = 0, fill = 0, total = 0;

    if (p->coding == CODEC_GSM7) {
        single = CODEC_GSM7_SINGLE;
        multi = CODEC_GSM7_MULTI;
    } else if (p->coding == CODEC_UCS2) {
        single = CODEC_UCS2_SINGLE;
        multi = CODEC_UCS2_MULTI;
    } else {
        return -1;
    }
    if (p->parts < 1 || p->parts > max_parts)
        return -1;
    if (p->parts == 1 ? p->per_part != single || p->units > single : p->per_part != multi)
        return -1;
    cap = p->per_part;

    while (i < n) {
        size_t at = i;
        uint32_t cp;
        int w;

        if (s[i] < 0x80) {
            cp = s[i++];
        } else {
            i += utf8_decode(s + i, n - i, &cp);
            if (cp == BAD_CP)
                return -1;
        }
        w = p->coding == CODEC_GSM7 ? gsm_septets(cp) : (cp >= 0x10000 ? 2 : 1);
        if (w == 0)
            return -1; /* not GSM-7: the plan was made for another text */
        if (fill + w > cap) {
            if (count + 1 >= p->parts)
                return -1; /* would need more parts than planned */
            parts[count].offset = start;
            parts[count].len = at - start;
            parts[count].units = fill;
            count++;
            start = at;
            fill = 0;
        }
        fill += w;
        total += w; /* at most per_part * parts: fill never exceeds cap */
    }
    parts[count].offset = start;
    parts[count].len = n - start;
    parts[count].units = fill;
    count++;
    if (count != p->parts || total != p->units)
        return -1;
    return count;
}

size_t codec_ucs2_to_utf8(const unsigned char *be, size_t nunits, char *out, size_t outlen)
{
    size_t i, o = 0;

    if (outlen == 0)
        return 0;
    for (i = 0; i < nunits; i++) {
        uint32_t cp = (uint32_t)be[2 * i] << 8 | be[2 * i + 1];
        unsigned char b[4];
        size_t m;

        if (cp == 0)
            continue; /* would end the C string early */
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < nunits) {
            uint32_t lo = (uint32_t)be[2 * i + 2] << 8 | be[2 * i + 3];
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i++;
            } else {
                cp = REPLACEMENT;
            }
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = REPLACEMENT;
        }
        if (cp < 0x80) {
            if (o + 1 >= outlen)
                break;
            out[o++] = (char)cp;
            continue;
        }
        m = utf8_encode(cp, b);
        if (o + m >= outlen)
            break;
        memcpy(out + o, b, m);
        o += m;
    }
    out[o] = '\0';
    return o;
}

int codec_utf8_to_ucs2(const char *utf8, unsigned char *out, size_t outlen)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t n = strlen(utf8), i = 0, o = 0;

    while (i < n) {
        uint32_t cp;

        if (s[i] < 0x80) {
            cp = s[i++];
        } else {
            i += utf8_decode(s + i, n - i, &cp);
            if (cp == BAD_CP)
                goto fail;
        }
        if (cp >= 0x10000) {
            uint32_t v = cp - 0x10000, hi = 0xD800 | (v >> 10), lo = 0xDC00 | (v & 0x3FF);
            if (outlen < 6 || o > outlen - 6)
                goto fail;
            out[o++] = (unsigned char)(hi >> 8);
            out[o++] = (unsigned char)hi;
            out[o++] = (unsigned char)(lo >> 8);
            out[o++] = (unsigned char)lo;
        } else {
            if (outlen < 4 || o > outlen - 4)
                goto fail;
            out[o++] = (unsigned char)(cp >> 8);
            out[o++] = (unsigned char)cp;
        }
        if (o / 2 > INT_MAX - 2)
            goto fail;
    }
    if (outlen < 2 || o > outlen - 2)
        goto fail;
    out[o] = out[o + 1] = 0;
    return (int)(o / 2);
fail:
    if (outlen >= 2)
        out[0] = out[1] = 0;
    return -1;
}

size_t codec_hex(const unsigned char *in, size_t n, char *out, size_t outlen)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t i, o = 0;

    if (outlen == 0)
        return 0;
    for (i = 0; i < n && outlen - o >= 3; i++) {
        out[o++] = digits[in[i] >> 4];
        out[o++] = digits[in[i] & 0x0F];
    }
    out[o] = '\0';
    return o;
}

/* ---- USSD answers ---- */

/* GSM 03.38 default alphabet, septet -> Unicode (0x1B is the escape to the extension table). */
static const uint16_t gsm_to_ucs[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x000A, 0x00D8,
    0x00F8, 0x000D, 0x00C5, 0x00E5, 0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    0x03A3, 0x0398, 0x039E, 0x001B, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x0020, 0x0021, 0x0022, 0x0023,
    0x00A4, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003A, 0x003B,
    0x003C, 0x003D, 0x003E, 0x003F, 0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, 0x0050, 0x0051, 0x0052, 0x0053,
    0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006A, 0x006B,
    0x006C, 0x006D, 0x006E, 0x006F, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* The extension table (after 0x1B); 0 where 23.038 defines nothing. */
static uint32_t gsm_extension(unsigned s)
{
    switch (s) {
    case 0x0A:
        return 0x0C;
    case 0x14:
        return '^';
    case 0x28:
        return '{';
    case 0x29:
        return '}';
    case 0x2F:
        return '\\';
    case 0x3C:
        return '[';
    case 0x3D:
        return '~';
    case 0x3E:
        return ']';
    case 0x40:
        return '|';
    case 0x65:
        return 0x20AC;
    default:
        return 0;
    }
}

/* Code points a USSD answer of an Indonesian operator never holds: controls, surrogates,
 * private use, CJK, kana, Hangul, Yi and the specials (U+FFFD among them). A wrong guess of
 * the character set turns Latin text into exactly these. */
static int unlikely_in_answer(uint32_t cp)
{
    if (cp < 0x20)
        return cp != '\n' && cp != '\r' && cp != '\t';
    return (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x1100 && cp <= 0x11FF) ||
           (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
           (cp >= 0xD800 && cp <= 0xF8FF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFFF0 && cp <= 0xFFFF);
}

/* At most a tenth of the code points unlikely: text as libgammu decoded it stands. */
static int plausible(const uint32_t *cp, size_t n)
{
    size_t odd = 0;
    for (size_t i = 0; i < n; i++)
        odd += unlikely_in_answer(cp[i]) != 0;
    return odd * 10 <= n;
}

/* A repaired reading is taken only when it is clearly text: at least four code points, nine
 * in ten of them printable ASCII, the rest Latin letters or the euro sign, and some letters
 * among them (digits-only answers such as "12345678" are hex too, and must stay as they
 * are). */
static int latin(const uint32_t *cp, size_t n)
{
    size_t ascii = 0, letters = 0;
    if (n < 4)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cp[i];
        if ((c >= 0x20 && c < 0x7F) || c == '\n' || c == '\r')
            ascii++;
        else if (!((c >= 0xC0 && c <= 0xFF) || c == 0x20AC))
            return 0;
        letters += (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }
    return ascii * 10 >= n * 9 && letters >= 3;
}

/* UTF-16BE units -> code points (pairs combined, lone surrogates kept as they are so that
 * plausible() sees them, NUL units dropped). Returns the count. */
static size_t units_to_cps(const unsigned char *be, size_t nunits, uint32_t *cp, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < nunits && n < max; i++) {
        uint32_t u = (uint32_t)be[2 * i] << 8 | be[2 * i + 1];
        if (u == 0)
            continue;
        if (u >= 0xD800 && u <= 0xDBFF && i + 1 < nunits) {
            uint32_t lo = (uint32_t)be[2 * i + 2] << 8 | be[2 * i + 3];
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                i++;
            }
        }
        cp[n++] = u;
    }
    return n;
}

/* Packed GSM 7-bit octets -> code points. A last septet made only of the padding bits
 * (CR by 23.038, or 0 from careless senders) is dropped. Returns the count. */
static size_t gsm7_to_cps(const unsigned char *in, size_t nbytes, uint32_t *cp, size_t max)
{
    size_t septets = nbytes * 8 / 7, n = 0;
    int escape = 0;
    for (size_t i = 0; i < septets && n < max; i++) {
        size_t bit = 7 * i, byte = bit / 8, sh = bit % 8;
        unsigned v = in[byte] >> sh;
        if (sh > 1 && byte + 1 < nbytes)
            v |= (unsigned)in[byte + 1] << (8 - sh);
        v &= 0x7F;
        if (i == septets - 1 && nbytes * 8 % 7 == 0 && (v == 0x0D || v == 0))
            break;
        if (escape) {
            uint32_t x = gsm_extension(v);
            cp[n++] = x ? x : gsm_to_ucs[v];
            escape = 0;
        } else if (v == 0x1B) {
            escape = 1;
        } else {
            cp[n++] = gsm_to_ucs[v];
        }
    }
    return n;
}

static int hex_digit(uint32_t c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'A' && c <= 'F')
        return (int)(c - 'A' + 10);
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    return -1;
}

/* Code points -> UTF-8, without controls other than \n \r \t. */
static size_t put_cps(const uint32_t *cp, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cp[i];
        unsigned char b[4];
        if (is_dropped_control(c))
            continue;
        if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
            c = REPLACEMENT;
        size_t m = utf8_encode(c, b);
        if (o + m >= outlen)
            break;
        memcpy(out + o, b, m);
        o += m;
    }
    out[o] = '\0';
    return o;
}

enum codec_ussd codec_ussd_text(const unsigned char *be, size_t nunits, char *out, size_t outlen)
{
    static const size_t max = CODEC_USSD_UNITS;
    uint32_t cp[CODEC_USSD_UNITS], alt[CODEC_USSD_UNITS * 8 / 7 + 2];
    unsigned char bytes[2 * CODEC_USSD_UNITS];
    if (nunits > max)
        nunits = max;
    size_t n = units_to_cps(be, nunits, cp, max), k;

    /* A modem that printed hex while libgammu expected text: decode it ourselves. */
    int hex = n >= 8 && n % 2 == 0;
    for (size_t i = 0; hex && i < n; i++)
        hex = hex_digit(cp[i]) >= 0;
    if (hex) {
        for (size_t i = 0; i < n / 2; i++)
            bytes[i] = (unsigned char)(hex_digit(cp[2 * i]) << 4 | hex_digit(cp[2 * i + 1]));
        if (n % 4 == 0 && latin(alt, k = units_to_cps(bytes, n / 4, alt, max))) {
            put_cps(alt, k, out, outlen);
            return CODEC_USSD_UCS2_HEX;
        }
        /* Packed septets show letters among their hex digits; digits only is a number. */
        int letters = 0;
        for (size_t i = 0; i < n; i++)
            letters |= cp[i] > '9';
        if (letters &&
            latin(alt, k = gsm7_to_cps(bytes, n / 2, alt, sizeof(alt) / sizeof(alt[0])))) {
            put_cps(alt, k, out, outlen);
            return CODEC_USSD_GSM7_PACKED;
        }
    }
    if (plausible(cp, n)) {
        put_cps(cp, n, out, outlen);
        return CODEC_USSD_TEXT;
    }
    /* Packed GSM octets that libgammu read as hex UCS-2: the units are the octets. */
    if (latin(alt, k = gsm7_to_cps(be, 2 * nunits, alt, sizeof(alt) / sizeof(alt[0])))) {
        put_cps(alt, k, out, outlen);
        return CODEC_USSD_GSM7_PACKED;
    }
    codec_hex(be, 2 * nunits, out, outlen);
    return CODEC_USSD_UNREADABLE;
}
