/* pamdrive.c: drives one PAM transaction through libpamtest, for the
 * integration and end-to-end tests (run it under pam_wrapper).
 *
 *   pamdrive --service NAME --user USER --op auth|account|both
 *            [--answer TEXT]... [--app-signals] [--repeat N]
 *            [--stop-after-answer]
 *
 * Environment (set by the caller): LD_PRELOAD=libpam_wrapper.so
 * PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=DIR (a directory holding a service
 * file named NAME); under ASan also PAM_WRAPPER_DISABLE_DEEPBIND=1.
 *
 * Output on stdout, line-buffered so a test can read the request code
 * while the call still waits:
 *   INFO: <text>     each PAM_TEXT_INFO line
 *   ERROR: <text>    each PAM_ERROR_MSG line
 *   PROMPT: <text>   each prompt, answered with the next --answer value
 *                    (no value left: the conversation fails)
 *   RESULT: <name>   last line: PAM_SUCCESS, PAM_AUTH_ERR, PAM_PERM_DENIED...
 *   APPSIGNALS: <n>  with --app-signals, before RESULT: how many of
 *                    SIGINT/SIGTERM/SIGHUP reached the application's own
 *                    handlers (installed like sudo's: SA_RESTART, they
 *                    record the signal and carry on)
 * --stop-after-answer: after handing over the first answer, print
 * "STOPPED: after answer" and stop (SIGSTOP) inside the conversation, so
 * a test holds the module between reading an answer and acting on it
 * (SIGCONT resumes it).
 * "both" runs pam_authenticate, then (only when it succeeded)
 * pam_acct_mgmt; RESULT is the last return value.
 * --repeat N (bench/run.sh): N whole transactions (pam_start to pam_end),
 * stopping at the first that fails, then "TIMING: n=N p50=.. p99=..
 * max=.. ms" of the successful ones (CLOCK_MONOTONIC, in this process).
 * Exit: 0 for PAM_SUCCESS, 1 for any other PAM result (or a libpamtest
 * failure, then RESULT: PAMTEST_ERR_...), 2 for usage errors. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <security/pam_appl.h>
#include <libpamtest.h>

#define MAX_ANSWERS 32

struct answers {
	const char *v[MAX_ANSWERS];
	int n, next;
	int stop_after;		/* --stop-after-answer, not yet done */
};

static volatile sig_atomic_t app_signals;

static void
app_handler(int sig)
{
	(void)sig;
	app_signals++;
}

/* Like sudo while PAM runs: record the signal and carry on. */
static int
app_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = app_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) != 0)
			return -1;
	return 0;
}

static const char *
pam_name(int rc)
{
	static const struct {
		int rc;
		const char *name;
	} names[] = {
#define N(x) { x, #x }
		N(PAM_SUCCESS), N(PAM_OPEN_ERR), N(PAM_SYMBOL_ERR),
		N(PAM_SERVICE_ERR), N(PAM_SYSTEM_ERR), N(PAM_BUF_ERR),
		N(PAM_PERM_DENIED), N(PAM_AUTH_ERR), N(PAM_CRED_INSUFFICIENT),
		N(PAM_AUTHINFO_UNAVAIL), N(PAM_USER_UNKNOWN), N(PAM_MAXTRIES),
		N(PAM_NEW_AUTHTOK_REQD), N(PAM_ACCT_EXPIRED),
		N(PAM_SESSION_ERR), N(PAM_CRED_UNAVAIL), N(PAM_CRED_EXPIRED),
		N(PAM_CRED_ERR), N(PAM_NO_MODULE_DATA), N(PAM_CONV_ERR),
		N(PAM_AUTHTOK_ERR), N(PAM_AUTHTOK_RECOVERY_ERR),
		N(PAM_AUTHTOK_LOCK_BUSY), N(PAM_AUTHTOK_DISABLE_AGING),
		N(PAM_TRY_AGAIN), N(PAM_IGNORE), N(PAM_ABORT),
		N(PAM_AUTHTOK_EXPIRED), N(PAM_MODULE_UNKNOWN),
		N(PAM_BAD_ITEM), N(PAM_CONV_AGAIN), N(PAM_INCOMPLETE),
#undef N
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rc == rc)
			return names[i].name;
	return "PAM_UNKNOWN_RESULT";
}

/* Print text with prefix, one output line per line of text. */
static void
print_lines(const char *prefix, const char *text)
{
	const char *p = text ? text : "", *nl;

	do {
		nl = strchr(p, '\n');
		printf("%s: %.*s\n", prefix, nl ? (int)(nl - p) : (int)strlen(p), p);
		p = nl ? nl + 1 : NULL;
	} while (p && *p);
}

static int
conv(int num_msg, const struct pam_message **msg, struct pam_response **resp,
     void *appdata)
{
	struct answers *ans = appdata;
	struct pam_response *r;
	int i;

	if (num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)num_msg, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (i = 0; i < num_msg; i++) {
		switch (msg[i]->msg_style) {
		case PAM_TEXT_INFO:
			print_lines("INFO", msg[i]->msg);
			break;
		case PAM_ERROR_MSG:
			print_lines("ERROR", msg[i]->msg);
			break;
		case PAM_PROMPT_ECHO_ON:
		case PAM_PROMPT_ECHO_OFF:
			print_lines("PROMPT", msg[i]->msg);
			if (ans->next >= ans->n)
				goto fail;
			r[i].resp = strdup(ans->v[ans->next++]);
			if (!r[i].resp)
				goto fail;
			if (ans->stop_after) {
				ans->stop_after = 0;
				printf("STOPPED: after answer\n");
				fflush(stdout);
				raise(SIGSTOP);
			}
			break;
		default:
			goto fail;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (i = 0; i < num_msg; i++)
		free(r[i].resp);
	free(r);
	return PAM_CONV_ERR;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: pamdrive --service NAME --user USER "
		"--op auth|account|both [--answer TEXT]... [--app-signals] [--repeat N]\n"
		"       [--stop-after-answer]\n");
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_ms(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
print_timing(double *v, int n)
{
	if (n <= 0)
		return;
	qsort(v, (size_t)n, sizeof(*v), cmp_ms);
	printf("TIMING: n=%d p50=%.3f p99=%.3f max=%.3f ms\n", n, v[(n - 1) / 2],
	       v[(int)((n - 1) * 0.99)], v[n - 1]);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "service", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "op", required_argument, NULL, 'o' },
		{ "answer", required_argument, NULL, 'a' },
		{ "app-signals", no_argument, NULL, 'g' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "stop-after-answer", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pam_testcase tests[2] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
	};
	struct answers ans = { .n = 0 };
	const char *service = NULL, *user = NULL, *op = NULL;
	struct pam_testcase *first = tests;
	const struct pam_testcase *last;
	enum pamtest_err perr;
	size_t ntests = 2;
	int c, with_app_signals = 0, repeat = 1, done;
	double *ms = NULL, t0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			service = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'o':
			op = optarg;
			break;
		case 'a':
			if (ans.n >= MAX_ANSWERS) {
				fprintf(stderr, "pamdrive: at most %d --answer\n",
					MAX_ANSWERS);
				return 2;
			}
			ans.v[ans.n++] = optarg;
			break;
		case 'g':
			with_app_signals = 1;
			break;
		case 'S':
			ans.stop_after = 1;
			break;
		case 'r':
			repeat = atoi(optarg);
			if (repeat < 1 || repeat > 1000000) {
				usage(stderr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !service || !user || !op) {
		usage(stderr);
		return 2;
	}
	if (strcmp(op, "auth") == 0) {
		ntests = 1;
	} else if (strcmp(op, "account") == 0) {
		first = tests + 1;
		ntests = 1;
	} else if (strcmp(op, "both") != 0) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (with_app_signals && app_handlers() != 0) {
		perror("pamdrive: sigaction");
		return 2;
	}

	/* run_pamtest_conv is broken in libpamtest 1.1.4: call it directly.
	 * It stops at the first case whose result is not PAM_SUCCESS. */
	if (repeat > 1 && !(ms = calloc((size_t)repeat, sizeof(*ms)))) {
		perror("pamdrive: calloc");
		return 2;
	}
	for (done = 0;; done++) {
		ans.next = 0;
		t0 = now_ms();
		perr = _pamtest_conv(service, user, conv, &ans, first, ntests, NULL);
		if (ms)
			ms[done] = now_ms() - t0;
		if (done + 1 >= repeat || perr != PAMTEST_ERR_OK)
			break;
	}
	if (ms) {
		print_timing(ms, perr == PAMTEST_ERR_OK ? done + 1 : done);
		free(ms);
	}
	if (perr == PAMTEST_ERR_OK) {
		last = first + ntests - 1;
	} else if (perr == PAMTEST_ERR_CASE) {
		last = _pamtest_failed_case(first, ntests);
	} else {
		printf("RESULT: PAMTEST_ERR_%d (%s)\n", (int)perr,
		       pamtest_strerror(perr));
		return 1;
	}
	if (!last) {
		printf("RESULT: PAMTEST_ERR_INTERNAL (no failed case)\n");
		return 1;
	}
	if (with_app_signals)
		printf("APPSIGNALS: %d\n", (int)app_signals);
	printf("RESULT: %s\n", pam_name(last->op_rv));
	return last->op_rv == PAM_SUCCESS ? 0 : 1;
}
