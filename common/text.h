/* text.h: the one place for text that crosses a trust boundary, used by
 * the module, approvald and approvalctl alike: UTF-8 decoding, the list of
 * hostile code points, the display sanitiser (PAM conversation, syslog,
 * terminal tables) and the escaping of JSON text for a terminal. Every
 * function takes (pointer, length) and never reads past it. */
#ifndef APPROVE_TEXT_H
#define APPROVE_TEXT_H
#include <stddef.h>
#include <stdint.h>

struct approve_buf;

/* Length (1..4) of the well-formed UTF-8 sequence at s (n bytes available)
 * and its code point in *cp; 0 when the bytes are not one: overlong forms,
 * UTF-16 surrogates (U+D800..U+DFFF), code points above U+10FFFF, a
 * truncated sequence, a stray continuation byte, or n == 0. */
size_t approve_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* 1 when s[0..n) is well-formed UTF-8 (as approve_utf8_decode), else 0.
 * NUL bytes count as valid here; callers that need text check for them. */
int approve_utf8_valid(const char *s, size_t n);

/* 1 for a code point that must never reach a reader as itself, because it
 * is invisible or changes how the text around it reads:
 *   C0 controls U+0000..U+001F, DEL U+007F, C1 controls U+0080..U+009F,
 *   U+00AD soft hyphen, U+034F combining grapheme joiner,
 *   U+061C Arabic letter mark, U+115F/U+1160/U+3164/U+FFA0 Hangul fillers,
 *   U+180E Mongolian vowel separator,
 *   U+200B..U+200F zero-width space/non-joiner/joiner, LRM, RLM,
 *   U+2028..U+202E line/paragraph separators, bidi embeddings/overrides,
 *   U+2060..U+2064 word joiner and invisible operators,
 *   U+2066..U+2069 bidi isolates, U+206A..U+206F deprecated format marks,
 *   U+FEFF zero-width no-break space (BOM), U+FFF9..U+FFFB interlinear
 *   annotation, U+E0000..U+E007F tag characters.
 * Else 0. */
int approve_cp_hostile(uint32_t cp);

/* 1 when s[0..n) may name a person or an account (a requester, a target
 * user, an approver's unix login): not empty, well-formed UTF-8 without
 * NUL or any hostile code point (approve_cp_hostile), and no blank at
 * either end (space, NBSP and the other Unicode space separators). Else 0.
 * The database applies the same rule (sql/015_approver_pressure.sql
 * approval.name_is_clean) and compares names by their NFKC, trimmed,
 * lower-case key. */
int approve_name_clean(const char *s, size_t n);

/* Copy s[0..len) for display through a PAM conversation, syslog or a
 * terminal: an escape sequence (ESC or C1 CSI, with its parameters) and
 * every hostile code point become '?', each invalid UTF-8 byte becomes
 * '?', and the result is cut to at most max bytes at a character boundary,
 * "..." appended when cut (max < 3: just dots). Valid UTF-8, NUL-free,
 * free of hostile code points. NULL on ENOMEM. */
char *approve_sanitize_display(const char *s, size_t len, size_t max);

/* The same; *shown gets how many bytes of s the result stands for (len
 * when it was not cut). */
char *approve_sanitize_display_shown(const char *s, size_t len, size_t max,
				     size_t *shown);

/* Append JSON text (as produced by json-c or PostgreSQL's to_json) to b
 * for a terminal: DEL and every hostile code point above U+007F, which can
 * only stand inside strings, become \uXXXX escapes (surrogate pairs above
 * U+FFFF), and C0 bytes other than the blanks JSON allows between tokens
 * (TAB, LF, CR) become \u00XX. The JSON means the same; a terminal shows
 * nothing that moves the cursor, hides text or reorders it. A byte that is
 * not valid UTF-8 becomes \u00XX too (such text was not JSON; a raw 0x9B
 * would be CSI to an 8-bit terminal). 0, -E2BIG or -ENOMEM. */
int approve_json_escape_hostile(struct approve_buf *b, const char *json,
				size_t n);

/* How a command reads on screen, for approvers (approvalctl here, the web
 * UI's web/dom.js commandParts() mirrors the same rules):
 *   LF "\u23ce" (⏎), CR "\u240d" (␍), TAB "\u21e5" (⇥); a run of more than
 *   APPROVE_BLANK_RUN of one blank (space, LF, CR, TAB) is one marker with
 *   its count: "\u2423\u00d7120" (␣×120) for 120 spaces, "⏎×40";
 *   every other hostile code point (ESC included) "<U+XXXX>", a byte that
 *   is not UTF-8 "<0xNN>";
 *   longer than max characters: the head (two thirds), " … ", the tail
 *   (one third, at least the last unit), whole markers only, so the end
 *   is never cut off.
 * The result is valid UTF-8 free of hostile code points; what it found is
 * in *shape. Terminals show text in stored order, so right-to-left letters
 * are only reported (shape->rtl), never reordered here. NULL on ENOMEM. */
#define APPROVE_BLANK_RUN 3
struct approve_cmd_shape {
	size_t lines;	/* 1 + line breaks (LF, CR, CR LF as one) */
	size_t chars;	/* characters of the display before any cut */
	int rtl;	/* holds right-to-left letters (Hebrew, Arabic, ...) */
	int cut;	/* the middle was left out (head ... tail) */
};
char *approve_command_display(const char *s, size_t len, size_t max,
			      struct approve_cmd_shape *shape);
/* 1 for a strong right-to-left letter (Hebrew, Arabic, Syriac, Thaana,
 * NKo, Samaritan, Mandaic, their presentation forms, and the RTL planes of
 * U+10800..U+10FFF and U+1E800..U+1EFFF), else 0. */
int approve_cp_rtl(uint32_t cp);

#endif
