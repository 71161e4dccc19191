/* unit.h: the shared main() of the check suites in tests/unit/ (fork mode,
 * so a crash in one hostile-input test fails that test, not the run) and
 * small helpers for temporary files. */
#ifndef APPROVE_UNIT_H
#define APPROVE_UNIT_H
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static inline int
unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A fresh private directory for one test; the path is static storage. */
static inline const char *
unit_tmpdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/approve-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

/* Write n bytes to dir/name with mode; returns the path (malloc'd). */
static inline char *
unit_write(const char *dir, const char *name, const void *data, size_t n,
	   mode_t mode)
{
	char *path = NULL;
	FILE *f;

	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

/* rm -r of a unit_tmpdir() (flat: files and symlinks only). */
static inline void
unit_rmdir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	if (system(cmd) != 0) {
		/* leftovers in /tmp are harmless */
	}
}

#endif
