/* periodic.c: owns the worker thread, its stop flag and the condition
 * variable a wait sleeps on (see periodic.h). Waits are on CLOCK_MONOTONIC
 * deadlines, so a change of the wall clock neither shortens nor stretches
 * a period. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "periodic.h"

struct periodic {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;		/* under mu */
	int woken;		/* under mu: periodic_wake() since the round began */
	periodic_round_fn round;
	void *arg;
};

static void *
periodic_main(void *arg)
{
	struct periodic *p = arg;
	struct timespec due;
	uint64_t wait_ms;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		p->woken = 0;
		pthread_mutex_unlock(&p->mu);
		wait_ms = p->round(p->arg, p);
		due = approve_timespec_after(CLOCK_MONOTONIC, wait_ms);
		pthread_mutex_lock(&p->mu);
		while (!p->stop && !p->woken && wait_ms &&
		       pthread_cond_timedwait(&p->cv, &p->mu, &due) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
periodic_start(periodic_round_fn round, void *arg, struct periodic **out)
{
	struct periodic *p;
	pthread_condattr_t ca;
	int r;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->round = round;
	p->arg = arg;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	r = pthread_create(&p->thread, NULL, periodic_main, p);
	if (r != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return -r;
	}
	*out = p;
	return 0;
}

void
periodic_wake(struct periodic *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->woken = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

int
periodic_stopping(struct periodic *p)
{
	int s;

	pthread_mutex_lock(&p->mu);
	s = p->stop;
	pthread_mutex_unlock(&p->mu);
	return s;
}

void
periodic_stop(struct periodic *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
