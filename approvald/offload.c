/* offload.c: owns approvald's job threads and their queue (see offload.h):
 * one mutex, one condition variable, a FIFO of intrusive jobs. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "offload.h"

struct offload {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct offload_job *head, *tail;
	unsigned queued, running;
	int stopping;
	unsigned nthreads;	/* started */
	pthread_t *threads;
};

static void *
worker(void *arg)
{
	struct offload *o = arg;
	struct offload_job *job;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		while (!o->head && !o->stopping)
			pthread_cond_wait(&o->cv, &o->mu);
		job = o->head;
		if (!job)
			break;	/* stopping and nothing left */
		o->head = job->next;
		if (!o->head)
			o->tail = NULL;
		o->queued--;
		o->running++;
		pthread_mutex_unlock(&o->mu);
		job->next = NULL;
		job->run(job);	/* the job may be gone once this returns */
		pthread_mutex_lock(&o->mu);
		o->running--;
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

int
offload_new(unsigned nthreads, struct offload **out)
{
	struct offload *o;
	int r;

	*out = NULL;
	if (nthreads == 0)
		return -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	o->threads = calloc(nthreads, sizeof(*o->threads));
	if (!o->threads) {
		offload_free(o);
		return -ENOMEM;
	}
	for (; o->nthreads < nthreads; o->nthreads++) {
		r = pthread_create(&o->threads[o->nthreads], NULL, worker, o);
		if (r != 0) {
			approve_log(LOG_ERR, "start-up: job thread %u of %u: %s",
				    o->nthreads + 1, nthreads, strerror(r));
			offload_free(o);
			return -r;
		}
	}
	*out = o;
	return 0;
}

int
offload_submit(struct offload *o, struct offload_job *job)
{
	int r = 0;

	job->next = NULL;
	job->queued_ms = approve_now_ms();
	pthread_mutex_lock(&o->mu);
	if (o->stopping) {
		r = -ESHUTDOWN;
		goto out;
	}
	if (o->tail)
		o->tail->next = job;
	else
		o->head = job;
	o->tail = job;
	o->queued++;
	pthread_cond_signal(&o->cv);
out:
	pthread_mutex_unlock(&o->mu);
	return r;
}

void
offload_stop(struct offload *o)
{
	unsigned i, n;

	if (!o)
		return;
	pthread_mutex_lock(&o->mu);
	o->stopping = 1;
	n = o->nthreads;
	o->nthreads = 0;	/* whoever comes second joins nothing */
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
	for (i = 0; i < n; i++)
		pthread_join(o->threads[i], NULL);
}

void
offload_free(struct offload *o)
{
	if (!o)
		return;
	offload_stop(o);
	pthread_cond_destroy(&o->cv);
	pthread_mutex_destroy(&o->mu);
	free(o->threads);
	free(o);
}

void
offload_count(struct offload *o, unsigned *queued, unsigned *running)
{
	pthread_mutex_lock(&o->mu);
	*queued = o->queued;
	*running = o->running;
	pthread_mutex_unlock(&o->mu);
}
