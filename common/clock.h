/* clock.h: the one clock of all three programs. Deadlines are milliseconds
 * on CLOCK_MONOTONIC (approve_now_ms()), so a wall-clock step never moves
 * them; a wait converts its remaining milliseconds here. */
#ifndef APPROVE_CLOCK_H
#define APPROVE_CLOCK_H
#include <stdint.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC (0 if the clock cannot be read). */
uint64_t approve_now_ms(void);

/* ms as a relative timespec (ppoll, gai_suspend). */
struct timespec approve_ms_to_timespec(uint64_t ms);

/* The absolute time ms from now on clock (pthread_cond_timedwait with a
 * condition variable on that clock). */
struct timespec approve_timespec_after(clockid_t clock, uint64_t ms);

#endif
