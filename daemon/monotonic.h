/* monotonic: the coarse monotonic clock (a few ms of resolution, a
 * fraction of the fine clock's cost), for budgets and rate limits that a
 * wall clock set back or forward must not upset. */
#ifndef NFLOGD_MONOTONIC_H
#define NFLOGD_MONOTONIC_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline time_t mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

#endif
