/* offload.h: approvald's job threads. Everything a request does that may
 * wait for PostgreSQL (authentication, every route but the health ones)
 * runs here while libmicrohttpd holds its connection suspended, so MHD's
 * own threads only move bytes and never wait for the database: /healthz
 * and /metrics answer at once whatever PostgreSQL does, and a worker
 * blocked on a hung statement holds up no other connection.
 *
 * A job is embedded in its owner (no allocation, so submitting cannot
 * fail for memory); jobs run in submission order, each on one thread.
 * The owner must not touch the job between offload_submit() and the
 * moment its run function starts. */
#ifndef APPROVALD_OFFLOAD_H
#define APPROVALD_OFFLOAD_H
#include <stdint.h>

struct offload_job {
	struct offload_job *next;
	void (*run)(struct offload_job *job);
	uint64_t queued_ms;	/* approve_now_ms() at submission */
};

struct offload;

/* Start nthreads (>= 1) job threads. 0, or -errno after logging why. */
int offload_new(unsigned nthreads, struct offload **out);
/* Queue job (its run set by the caller): 0, or -ESHUTDOWN once
 * offload_stop() began (the caller then runs it itself). */
int offload_submit(struct offload *o, struct offload_job *job);
/* Refuse new jobs, run every queued one, join the threads. Idempotent. */
void offload_stop(struct offload *o);
/* Stops first if needed. NULL is fine. */
void offload_free(struct offload *o);
/* Jobs queued and not yet started, and jobs running right now. */
void offload_count(struct offload *o, unsigned *queued, unsigned *running);

#endif
