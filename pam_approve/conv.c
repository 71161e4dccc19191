/* conv.c: owns the calls into the application's PAM conversation function
 * (messages to the requester and the reason prompt), and the freeing of
 * what the application hands back. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "conv.h"

#define CONV_LINE_MAX 4096

static void
free_responses(struct pam_response *resp, int n)
{
	int i;

	if (!resp)
		return;
	for (i = 0; i < n; i++) {
		if (resp[i].resp) {
			explicit_bzero(resp[i].resp, strlen(resp[i].resp));
			free(resp[i].resp);
		}
	}
	free(resp);
}

/* One message through the conversation; *answer (when asked for) gets the
 * response string. PAM_SUCCESS or the conversation's error. */
static int
converse(pam_handle_t *pamh, int style, const char *text, char **answer)
{
	const struct pam_conv *conv = NULL;
	struct pam_message msg = { .msg_style = style, .msg = text };
	const struct pam_message *msgs[1] = { &msg };
	struct pam_response *resp = NULL;
	int r;

	r = pam_get_item(pamh, PAM_CONV, (const void **)&conv);
	if (r != PAM_SUCCESS)
		return r;
	if (!conv || !conv->conv)
		return PAM_CONV_ERR;
	r = conv->conv(1, msgs, &resp, conv->appdata_ptr);
	if (r == PAM_SUCCESS && answer) {
		if (resp && resp[0].resp) {
			*answer = resp[0].resp;
			resp[0].resp = NULL;
		} else {
			r = PAM_CONV_ERR;
		}
	}
	free_responses(resp, 1);
	return r;
}

void
pa_conv_say(pam_handle_t *pamh, int style, int debug, const char *text)
{
	const char *p = text, *nl;
	char line[CONV_LINE_MAX];
	int r;

	do {
		size_t n;

		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		r = converse(pamh, style, line, NULL);
		if (r != PAM_SUCCESS && debug)
			pam_syslog(pamh, LOG_DEBUG, "conversation: %s",
				   pam_strerror(pamh, r));
		p = nl ? nl + 1 : NULL;
	} while (p);
}

void
pa_conv_sayf(pam_handle_t *pamh, int style, int debug, const char *fmt, ...)
{
	char text[CONV_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* a cut message is still worth showing; it ends in "..." */
	if ((size_t)n >= sizeof(text)) {
		size_t cut = sizeof(text) - 4;

		/* not inside a UTF-8 sequence */
		while (cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80)
			cut--;
		memcpy(text + cut, "...", 4);
	}
	pa_conv_say(pamh, style, debug, text);
}

int
pa_conv_ask(pam_handle_t *pamh, const char *prompt, char **answer)
{
	int r;

	*answer = NULL;
	r = converse(pamh, PAM_PROMPT_ECHO_ON, prompt, answer);
	if (r == PAM_BUF_ERR)
		return -ENOMEM;
	if (r != PAM_SUCCESS || !*answer)
		return -ENOTCONN;
	return 0;
}

int
pa_conv_ask_hidden(pam_handle_t *pamh, const char *prompt, char **answer)
{
	int r;

	*answer = NULL;
	r = converse(pamh, PAM_PROMPT_ECHO_OFF, prompt, answer);
	if (r == PAM_BUF_ERR)
		return -ENOMEM;
	if (r != PAM_SUCCESS || !*answer)
		return -ENOTCONN;
	return 0;
}
