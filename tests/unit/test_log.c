/* test_log.c: check suite for common/log.c: the stderr line format
 * ("YYYY-mm-ddTHH:MM:SSZ LEVEL message"), debug filtering, control
 * characters neutralised, long messages cut, errno preserved, and many
 * threads writing whole lines. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>

#include "log.h"
#include "unit.h"

/* Redirect stderr into a temp file; returns the fd of the file. */
static int
capture_stderr(void)
{
	char path[] = "/tmp/approve-log-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	return fd;
}

static char *
captured(int fd)
{
	static char buf[1 << 20];
	ssize_t n;

	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	return buf;
}

START_TEST(format_and_levels)
{
	int fd = capture_stderr();
	regex_t re;
	char *out;

	approve_log_init("test", 0, 0);
	errno = EBADF;
	approve_log(LOG_WARNING, "client %s: body over %d bytes", "1.2.3.4", 10);
	ck_assert_int_eq(errno, EBADF);
	approve_log(LOG_DEBUG, "hidden %d", 1);
	approve_log(LOG_ERR, "evil\nline\x1b[31m");
	approve_log_init("test", 0, 1);
	approve_log(LOG_DEBUG, "shown %d", 2);
	out = captured(fd);
	ck_assert_int_eq(regcomp(&re,
		"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z "
		"WARNING client 1\\.2\\.3\\.4: body over 10 bytes\n"
		"[0-9T:Z-]+ ERR evil\\?line\\?\\[31m\n"
		"[0-9T:Z-]+ DEBUG shown 2\n$", REG_EXTENDED), 0);
	ck_assert_msg(regexec(&re, out, 0, NULL, 0) == 0, "got: %s", out);
	regfree(&re);
	ck_assert_ptr_null(strstr(out, "hidden"));
}
END_TEST

START_TEST(long_message_cut)
{
	int fd = capture_stderr();
	char *big = malloc(10000), *out;

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 9999);
	big[9999] = '\0';
	approve_log_init(NULL, 0, 0);
	approve_log(LOG_NOTICE, "%s", big);
	out = captured(fd);
	ck_assert_uint_lt(strlen(out), 2300);
	ck_assert_int_eq(out[strlen(out) - 1], '\n');
	ck_assert_ptr_nonnull(strstr(out, "NOTICE xxxx"));
	ck_assert_ptr_nonnull(strstr(out, "...\n"));
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);	/* one line */
	free(big);
}
END_TEST

static void *
writer(void *arg)
{
	int i;

	for (i = 0; i < 200; i++)
		approve_log(LOG_INFO, "thread %ld line %d %s", (long)(intptr_t)arg, i,
			    "payload-payload-payload-payload-payload-payload");
	return NULL;
}

START_TEST(threads_whole_lines)
{
	int fd = capture_stderr();
	pthread_t t[8];
	char *out, *line, *save = NULL;
	long i, n = 0;

	approve_log_init("test", 0, 0);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i), 0);
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	out = captured(fd);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		ck_assert_msg(strstr(line, " INFO thread ") != NULL, "mixed line: %s", line);
		ck_assert_msg(strstr(line, "payload-payload-payload-payload-payload-payload") ==
			      line + strlen(line) - 47, "mixed line: %s", line);
		n++;
	}
	ck_assert_int_eq(n, 8 * 200);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, format_and_levels);
	tcase_add_test(tc, long_message_cut);
	tcase_add_test(tc, threads_whole_lines);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(log_suite());
}
