/* periodic.h: a worker thread that runs a round of work, waits, and runs
 * the next, until stopped: approvald's background jobs (the audit head,
 * the pending gauge, the audit sealer, the receipt keeper), each of which
 * borrows a connection of the background pool for a round and never holds
 * one across the wait. The first round runs at once. The round itself says
 * how long to wait before the next: a backlog is worked off round after
 * round, an outage is retried sooner than the normal period. */
#ifndef APPROVALD_PERIODIC_H
#define APPROVALD_PERIODIC_H
#include <stdint.h>

struct periodic;

/* One round on the worker's thread, with nothing of periodic's held: the
 * milliseconds to wait before the next round (0: the next at once). */
typedef uint64_t (*periodic_round_fn)(void *arg, struct periodic *p);

/* Start the thread running round(arg, p) until periodic_stop(). 0 or
 * -errno; *out is NULL on failure. */
int periodic_start(periodic_round_fn round, void *arg, struct periodic **out);
/* End the current wait: the next round runs now. Accepts NULL. */
void periodic_wake(struct periodic *p);
/* 1 once periodic_stop() began (a round may skip a warning or its rest). */
int periodic_stopping(struct periodic *p);
/* Stop: a wait ends at once, a round under way is finished (a round's
 * database waits are bounded: stop the pool it borrows from first to cut
 * them short), then join and free. Accepts NULL. */
void periodic_stop(struct periodic *p);

#endif
