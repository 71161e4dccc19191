/* cmdline.h: turning a NUL-separated argument vector (/proc/self/cmdline)
 * into the one-line command text approvers see. */
#ifndef PAM_APPROVE_CMDLINE_H
#define PAM_APPROVE_CMDLINE_H
#include <stddef.h>

/* data/len: arguments, each terminated by NUL (a missing final NUL means
 * the last argument was cut). truncated != 0: more arguments existed than
 * data holds. Arguments are joined with single spaces and quoted the way a
 * POSIX shell (bash for $'...') would need them:
 *   plain   [A-Za-z0-9_@%+=:,./-] and other printable UTF-8: as is
 *   other printable ASCII (blank, quotes, $, ...) or empty: '...'
 *   control characters, invalid UTF-8 and the hostile code points of
 *   common/text.h (C1, bidi, zero-width...): $'...' with \n, \t, \xHH,
 *   \uHHHH (\UHHHHHHHH) escapes
 * so the result is valid UTF-8 without control characters and shows every
 * byte the kernel has. When the result would exceed max bytes (or the input
 * was cut) it ends in "..." and is at most max bytes (max >= 4), cut after
 * a whole character or escape. *shown gets how many bytes of data the text
 * shows (len when nothing was cut; an argument's NUL counts once the
 * argument is whole). *out is malloc'd. 0, -EINVAL (no argument, max < 4)
 * or -ENOMEM. */
int pa_cmdline_format(const char *data, size_t len, int truncated,
		      size_t max, char **out, size_t *shown);

#endif
