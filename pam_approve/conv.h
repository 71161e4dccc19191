/* conv.h: the PAM conversation as pam_approve uses it: one-line messages
 * out, one echoed answer in. */
#ifndef PAM_APPROVE_CONV_H
#define PAM_APPROVE_CONV_H
#include <security/pam_modules.h>

/* Send text as one message per line (style PAM_TEXT_INFO or PAM_ERROR_MSG).
 * Lines are shown as given: callers pass fixed text plus values that went
 * through approve_sanitize_display. PAM_SILENT is deliberately not
 * honoured: sudo always passes it, and the request code, URL and outcome
 * are what the requester needs to see (DESIGN.md §8). Best effort: a
 * missing or failing conversation is logged at DEBUG level and ignored. */
void pa_conv_say(pam_handle_t *pamh, int style, int debug, const char *text);
/* printf-style pa_conv_say; a message that does not fit is cut. */
void pa_conv_sayf(pam_handle_t *pamh, int style, int debug,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Ask with PAM_PROMPT_ECHO_ON; *answer is malloc'd (possibly ""), or NULL
 * when there is no conversation or it failed. 0, -ENOTCONN (no
 * conversation / no answer), -ENOMEM. */
int pa_conv_ask(pam_handle_t *pamh, const char *prompt, char **answer);
/* The same with PAM_PROMPT_ECHO_OFF, for a secret (the caller wipes it). */
int pa_conv_ask_hidden(pam_handle_t *pamh, const char *prompt, char **answer);

#endif
