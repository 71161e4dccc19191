/* access.h: which class of caller a route needs, and the one check of an
 * identity against that class. Pure (no database, no I/O), so the refusing
 * default is unit-tested (tests/unit/test_access.c). */
#ifndef APPROVALD_ACCESS_H
#define APPROVALD_ACCESS_H
#include "identity.h"

enum access_need {
	NEED_NONE,	/* anyone: no credentials are read */
	NEED_HOST,	/* a host token */
	NEED_READER,	/* an approver who may read requests */
	NEED_DECIDER,	/* an approver who may decide them */
};

/* Why a call was refused: the HTTP status and the error shape's fields
 * (static strings). */
struct access_refusal {
	unsigned status;
	const char *error;
	const char *detail;
};

/* 0 when who may call a route that needs `need`; -EACCES with *no filled
 * otherwise: 403 for a caller of the wrong class or role, 500 for a class
 * this function does not know (a programming error refuses, never
 * allows). */
int access_check(enum access_need need, const struct identity *who,
		 struct access_refusal *no);

#endif
