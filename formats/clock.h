/*
 * clock.h - the one clock of rnnbow's timers (progress lines, checkpoint
 * and fsync intervals, the writer's /train blocks).
 */
#ifndef RNNBOW_CLOCK_H
#define RNNBOW_CLOCK_H

/* Seconds on CLOCK_MONOTONIC: only differences mean anything, and they
 * do not jump when the wall clock is set. */
double monotonic_seconds(void);

#endif
