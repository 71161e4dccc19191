/* test_periodic.c: check suite for approvald/periodic.c, the worker of
 * approvald's background jobs. The first round runs at once; a round's
 * answer sets the wait before the next (0: straight on); a wake-up ends a
 * long wait early; stop ends a long wait at once and joins, so no round
 * runs after it returns, and a round sees periodic_stopping() once stop
 * began. */
#include <stdatomic.h>
#include <unistd.h>

#include "clock.h"
#include "periodic.h"
#include "unit.h"

struct counter {
	atomic_int rounds;
	atomic_int saw_stopping;
	uint64_t wait_ms;	/* what each round answers */
	int fast_rounds;	/* rounds that answer 0 first */
	unsigned sleep_ms;	/* how long a round takes */
};

static uint64_t
count_round(void *arg, struct periodic *p)
{
	struct counter *c = arg;
	int n = atomic_fetch_add(&c->rounds, 1) + 1;

	if (c->sleep_ms)
		usleep(c->sleep_ms * 1000);
	if (periodic_stopping(p))
		atomic_store(&c->saw_stopping, 1);
	return n <= c->fast_rounds ? 0 : c->wait_ms;
}

static void
wait_rounds(struct counter *c, int n, unsigned ms)
{
	uint64_t end = approve_now_ms() + ms;

	while (atomic_load(&c->rounds) < n && approve_now_ms() < end)
		usleep(1000);
}

START_TEST(first_round_at_once_then_the_wait)
{
	struct counter c = { .wait_ms = 60000 };
	struct periodic *p = NULL;

	ck_assert_int_eq(periodic_start(count_round, &c, &p), 0);
	ck_assert_ptr_nonnull(p);
	wait_rounds(&c, 1, 5000);
	ck_assert_int_eq(atomic_load(&c.rounds), 1);
	usleep(200 * 1000);	/* a minute's wait: no second round */
	ck_assert_int_eq(atomic_load(&c.rounds), 1);
	periodic_stop(p);
}
END_TEST

START_TEST(the_answer_sets_the_wait)
{
	struct counter c = { .wait_ms = 60000, .fast_rounds = 5 };
	struct periodic *p = NULL;

	ck_assert_int_eq(periodic_start(count_round, &c, &p), 0);
	wait_rounds(&c, 6, 5000);	/* five answers of 0, then a minute */
	usleep(100 * 1000);
	ck_assert_int_eq(atomic_load(&c.rounds), 6);
	periodic_stop(p);

	c = (struct counter){ .wait_ms = 20 };	/* a short period recurs */
	ck_assert_int_eq(periodic_start(count_round, &c, &p), 0);
	wait_rounds(&c, 4, 5000);
	ck_assert_int_ge(atomic_load(&c.rounds), 4);
	periodic_stop(p);
}
END_TEST

START_TEST(wake_ends_the_wait)
{
	struct counter c = { .wait_ms = 60000 };
	struct periodic *p = NULL;

	ck_assert_int_eq(periodic_start(count_round, &c, &p), 0);
	wait_rounds(&c, 1, 5000);
	periodic_wake(p);
	wait_rounds(&c, 2, 5000);
	ck_assert_int_eq(atomic_load(&c.rounds), 2);
	periodic_wake(NULL);
	periodic_stop(p);
}
END_TEST

START_TEST(stop_is_prompt_and_final)
{
	struct counter c = { .wait_ms = 60000 };
	struct periodic *p = NULL;
	uint64_t t0;
	int n;

	ck_assert_int_eq(periodic_start(count_round, &c, &p), 0);
	wait_rounds(&c, 1, 5000);
	t0 = approve_now_ms();
	periodic_stop(p);
	ck_assert_uint_lt(approve_now_ms() - t0, 2000);
	n = atomic_load(&c.rounds);
	usleep(100 * 1000);
	ck_assert_int_eq(atomic_load(&c.rounds), n);
	periodic_stop(NULL);
}
END_TEST

START_TEST(round_sees_stopping)
{
	struct counter c = { .wait_ms = 60000, .sleep_ms = 300 };
	struct periodic *p = NULL;

	ck_assert_int_eq(periodic_start(count_round, &c, &p), 0);
	wait_rounds(&c, 1, 5000);	/* inside its 300 ms */
	periodic_stop(p);		/* waits for the round to end */
	ck_assert_int_eq(atomic_load(&c.rounds), 1);
	ck_assert_int_eq(atomic_load(&c.saw_stopping), 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("periodic");
	TCase *tc = tcase_create("periodic");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, first_round_at_once_then_the_wait);
	tcase_add_test(tc, the_answer_sets_the_wait);
	tcase_add_test(tc, wake_ends_the_wait);
	tcase_add_test(tc, stop_is_prompt_and_final);
	tcase_add_test(tc, round_sees_stopping);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
