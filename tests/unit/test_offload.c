/* test_offload.c: check suite for approvald/offload.c, the job threads
 * that run everything that may wait for the database. One thread runs jobs
 * in submission order; many threads run each of many jobs exactly once;
 * a job that blocks holds up only its own thread (the others keep
 * running the queue); stop runs what is still queued before it joins, and
 * refuses what comes after; the counts say what is queued and running;
 * zero threads is refused. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "clock.h"
#include "offload.h"
#include "unit.h"

struct tjob {
	struct offload_job job;	/* first: the cast below */
	int id;
	atomic_int runs;
	unsigned sleep_ms;
};

static pthread_mutex_t order_mu = PTHREAD_MUTEX_INITIALIZER;
static int order[256];
static int norder;
static atomic_int blocked_release;

static void
run_tjob(struct offload_job *job)
{
	struct tjob *t = (struct tjob *)job;

	if (t->sleep_ms)
		usleep(t->sleep_ms * 1000);
	pthread_mutex_lock(&order_mu);
	if (norder < 256)
		order[norder++] = t->id;
	pthread_mutex_unlock(&order_mu);
	atomic_fetch_add(&t->runs, 1);
}

static void
run_blocking(struct offload_job *job)
{
	struct tjob *t = (struct tjob *)job;

	while (!atomic_load(&blocked_release))
		usleep(1000);
	atomic_fetch_add(&t->runs, 1);
}

static void
wait_runs(struct tjob *t, int n, unsigned ms)
{
	uint64_t end = approve_now_ms() + ms;

	for (int i = 0; i < n; i++)
		while (atomic_load(&t[i].runs) == 0 && approve_now_ms() < end)
			usleep(1000);
}

START_TEST(one_thread_in_order)
{
	struct offload *o;
	struct tjob t[50] = { 0 };

	norder = 0;
	ck_assert_int_eq(offload_new(1, &o), 0);
	for (int i = 0; i < 50; i++) {
		t[i].id = i;
		t[i].job.run = run_tjob;
		ck_assert_int_eq(offload_submit(o, &t[i].job), 0);
	}
	wait_runs(t, 50, 5000);
	offload_free(o);
	ck_assert_int_eq(norder, 50);
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(order[i], i);
		ck_assert_int_eq(atomic_load(&t[i].runs), 1);
	}
}
END_TEST

START_TEST(many_threads_each_once)
{
	static struct tjob t[2000];
	struct offload *o;

	memset(t, 0, sizeof(t));
	ck_assert_int_eq(offload_new(8, &o), 0);
	for (int i = 0; i < 2000; i++) {
		t[i].job.run = run_tjob;
		ck_assert_int_eq(offload_submit(o, &t[i].job), 0);
	}
	wait_runs(t, 2000, 10000);
	offload_free(o);
	for (int i = 0; i < 2000; i++)
		ck_assert_int_eq(atomic_load(&t[i].runs), 1);
}
END_TEST

START_TEST(blocked_job_holds_only_its_thread)
{
	struct offload *o;
	struct tjob b = { 0 }, t[20] = { 0 };
	unsigned queued, running;

	atomic_store(&blocked_release, 0);
	ck_assert_int_eq(offload_new(2, &o), 0);
	b.job.run = run_blocking;
	ck_assert_int_eq(offload_submit(o, &b.job), 0);
	for (int i = 0; i < 20; i++) {
		t[i].job.run = run_tjob;
		ck_assert_int_eq(offload_submit(o, &t[i].job), 0);
	}
	wait_runs(t, 20, 5000);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(atomic_load(&t[i].runs), 1);
	ck_assert_int_eq(atomic_load(&b.runs), 0);
	offload_count(o, &queued, &running);
	ck_assert_uint_eq(queued, 0);
	ck_assert_uint_eq(running, 1);	/* the blocked one */
	atomic_store(&blocked_release, 1);
	offload_free(o);
	ck_assert_int_eq(atomic_load(&b.runs), 1);
}
END_TEST

START_TEST(stop_runs_queued_then_refuses)
{
	struct offload *o;
	struct tjob t[10] = { 0 }, late = { 0 };
	unsigned queued, running;

	ck_assert_int_eq(offload_new(1, &o), 0);
	for (int i = 0; i < 10; i++) {
		t[i].job.run = run_tjob;
		t[i].sleep_ms = 20;
		ck_assert_int_eq(offload_submit(o, &t[i].job), 0);
	}
	offload_count(o, &queued, &running);
	ck_assert_uint_ge(queued + running, 9);
	offload_stop(o);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(atomic_load(&t[i].runs), 1);
	late.job.run = run_tjob;
	ck_assert_int_eq(offload_submit(o, &late.job), -ESHUTDOWN);
	offload_stop(o);	/* idempotent */
	offload_free(o);
	ck_assert_int_eq(atomic_load(&late.runs), 0);
}
END_TEST

START_TEST(zero_threads_refused)
{
	struct offload *o = (struct offload *)1;

	ck_assert_int_eq(offload_new(0, &o), -EINVAL);
	ck_assert_ptr_null(o);
	offload_free(NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("offload");
	TCase *tc = tcase_create("offload");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, one_thread_in_order);
	tcase_add_test(tc, many_threads_each_once);
	tcase_add_test(tc, blocked_job_holds_only_its_thread);
	tcase_add_test(tc, stop_runs_queued_then_refuses);
	tcase_add_test(tc, zero_threads_refused);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
